//! Standard errors of the cohorts' latent (mean, sd) in a concurrent or fixed-parameter
//! calibration too large for the full Oakes matrix ([`super::se::OAKES_MAX_PARAMS`]).
//!
//! A cohort's mean is identified through the items it shares with other cohorts, so its
//! standard error must carry the items' estimation error: Var(latent) is the latent block of the
//! inverse of the whole observed information, the inverse of the Schur complement
//! S = I_ll - I_li I_ii^{-1} I_il (l = the free latent parameters, i = the items' free
//! parameters). The latent columns of the information (I_il and I_ll) are exact: Oakes' identity
//! (Oakes 1999), central finite differences of the exact Fisher score in each latent parameter,
//! two E-step passes per parameter. The items' block I_ii is their full cross-product (empirical)
//! information with the priors' curvature ([`super::xpd::cross_product_information`]), which
//! keeps the covariances between items (the common shift of the anchors' locations is what a
//! cohort mean's SE is made of). Inverting only the cohorts' own cross-product block, as before,
//! left the items out and gave SEs about 0.7 of Oakes'.

use nalgebra::DMatrix;

use super::data::Responses;
use super::em::{pack, unpack, Calibration};
use super::se::score;
use super::xpd::cross_product_information;
use super::ItemModel;

/// Above this many free item parameters the items' block is not factorised (its Cholesky
/// factorisation costs p^3 / 3) and the cohorts keep their own-block SEs.
pub const COHORT_SE_MAX_ITEM_PARAMS: usize = 2000;

/// SEs of a latent density's (mean, sd), None where not free.
pub type LatentSe = (Option<f64>, Option<f64>);

/// Per latent group, the SEs of (mean, sd) where free; None when no density is free, an empirical
/// histogram is used, the problem is too large, or the information is not positive definite.
pub fn cohort_se(data: &Responses, cal: &Calibration) -> Option<Vec<LatentSe>> {
    if cal.latent.iter().any(|l| l.histogram.is_some()) {
        return None;
    }
    let p0 = pack(cal);
    let n_item: usize = cal
        .items
        .iter()
        .zip(&cal.fixed)
        .filter(|(_, f)| !**f)
        .map(|(m, _)| m.free_params().len())
        .sum();
    let n_lat = p0.len() - n_item;
    if n_lat == 0 || n_item > COHORT_SE_MAX_ITEM_PARAMS {
        return None;
    }
    // Oakes: column j of the observed information = -d score / d parameter j. A cohort's density
    // enters only its own persons' posteriors, so the difference needs only their E-step.
    let mut cols: Vec<Vec<f64>> = Vec::with_capacity(n_lat);
    let mut j = n_item;
    for (g, l) in cal.latent.iter().enumerate() {
        let n_free = l.free.0 as usize + l.free.1 as usize;
        if n_free == 0 {
            continue;
        }
        let own = data.group_persons(g as u16);
        for k in j..j + n_free {
            let h = 1e-4 * (1.0 + p0[k].abs());
            let at = |delta: f64| {
                let mut c = cal.clone();
                let mut v = p0.clone();
                v[k] += delta;
                unpack(&mut c, &v);
                score(&own, &c)
            };
            let (sp, sm) = (at(h), at(-h));
            cols.push(
                sp.iter()
                    .zip(&sm)
                    .map(|(a, b)| -(a - b) / (2.0 * h))
                    .collect(),
            );
        }
        j += n_free;
    }
    let i_ll = DMatrix::from_fn(n_lat, n_lat, |r, c| {
        0.5 * (cols[c][n_item + r] + cols[r][n_item + c])
    });
    let schur = if n_item == 0 {
        i_ll
    } else {
        let i_il = DMatrix::from_fn(n_item, n_lat, |r, c| cols[c][r]);
        let chol = cross_product_information(data, cal).cholesky()?;
        let solved = chol.solve(&i_il);
        let s = i_ll - i_il.transpose() * solved;
        (&s + s.transpose()) * 0.5
    };
    let cov = schur.cholesky()?.inverse();
    let mut k = 0;
    let mut out = Vec::with_capacity(cal.latent.len());
    for l in &cal.latent {
        let mut se = (None, None);
        if l.free.0 {
            se.0 = Some(cov[(k, k)].max(0.0).sqrt());
            k += 1;
        }
        if l.free.1 {
            se.1 = Some(cov[(k, k)].max(0.0).sqrt());
            k += 1;
        }
        out.push(se);
    }
    Some(out)
}
