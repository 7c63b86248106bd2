//! Null-distribution properties of lz, lz* and U3 on attempts simulated under the 3PL.

use qbank::security::simulate::{simulate, SimConfig};
use qbank::security::*;

fn null_config(seed: u64, n_attempts: usize) -> SimConfig {
    SimConfig {
        seed,
        n_bank: 100,
        items_per_attempt: 50,
        n_attempts,
        n_weeks: 1,
        n_leaked: 0,
        leak_week: 0,
        leak_share: 0.0,
        preknowledge_share: 0.0,
        guesser_share: 0.0,
        ..SimConfig::default()
    }
}

fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let s = (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0)).sqrt();
    (m, s)
}

// property: under the model, lz* with estimated theta is about N(0,1) (mean within 0.1, SD
// within 0.1 on 5000 simulated 50-item attempts from a 100-item bank, incomplete design), for
// ML, WLE and MAP; raw lz at the estimated theta has SD < 1 (the known shrinkage, Snijders 2001).
#[test]
fn lz_star_is_standard_normal_under_the_model() {
    let sim = simulate(&null_config(11, 5000)).unwrap();
    for method in [
        ThetaMethod::Ml,
        ThetaMethod::Wle,
        ThetaMethod::Map {
            mu: 0.0,
            sigma: 1.0,
        },
    ] {
        let opts = PersonFitOptions {
            theta: ThetaOptions {
                method,
                lower: -6.0,
                upper: 6.0,
            },
            alpha: 0.05,
            lz_star_cutoff: None,
            u3_cutoff: None,
        };
        let rep = person_fit_all(&sim.bank, &sim.data, &opts, None).unwrap();
        assert!(
            rep.n_scored > 4950,
            "{}: scored {}",
            method.as_str(),
            rep.n_scored
        );
        let fits: Vec<&PersonFit> = rep.fits.iter().filter_map(|f| f.as_ref().ok()).collect();
        let star: Vec<f64> = fits.iter().map(|f| f.lz_star).collect();
        let raw: Vec<f64> = fits.iter().map(|f| f.lz).collect();
        let (m, s) = mean_sd(&star);
        let (mr, sr) = mean_sd(&raw);
        let rate = rep.n_flagged as f64 / rep.n_scored as f64;
        eprintln!(
            "{}: lz* mean {m:.3} sd {s:.3}; lz mean {mr:.3} sd {sr:.3}; flagged at 0.05: {rate:.4}",
            method.as_str()
        );
        assert!(m.abs() < 0.1, "{}: mean of lz* {m}", method.as_str());
        assert!((s - 1.0).abs() < 0.1, "{}: SD of lz* {s}", method.as_str());
        assert!(
            sr < 1.0,
            "{}: SD of raw lz {sr} should be < 1",
            method.as_str()
        );
        // lz* SD exceeds raw lz SD (the correction undoes the shrinkage).
        assert!(s > sr, "{}: SD lz* {s} vs lz {sr}", method.as_str());
        // Flag rate near the nominal 0.05 (binomial SE 0.003; allow for the asymptotics).
        assert!(
            (rate - 0.05).abs() < 0.015,
            "{}: flag rate {rate}",
            method.as_str()
        );
    }
}

// property: the simulated cutoffs (lz* lower, U3 upper) computed on one simulated sample flag
// about alpha = 0.05 of a fresh model-fitting sample of the same design (within 4 binomial SE
// plus 0.01).
#[test]
fn simulated_cutoffs_are_calibrated() {
    let opts = PersonFitOptions {
        alpha: 0.05,
        ..PersonFitOptions::default()
    };
    // Attempts 0..4096 (the first random stream) give the cutoffs; attempts 4096.. are fresh.
    let split = simulate::SIM_BLOCK;
    let sim = simulate(&null_config(12, 3 * split)).unwrap();
    let weights = U3Weights::from_data(&sim.data);
    let mut rep = person_fit_all(&sim.bank, &sim.data, &opts, Some(&weights)).unwrap();
    let first: Vec<Result<PersonFit, NoValue>> = rep
        .fits
        .iter()
        .enumerate()
        .map(|(k, f)| {
            if k < split {
                f.clone()
            } else {
                Err(NoValue::NoResponses)
            }
        })
        .collect();
    let cut = person_fit_cutoffs(
        &sim.bank,
        &sim.data,
        &first,
        &opts,
        Some(&weights),
        20_000,
        99,
    )
    .unwrap();
    let u3_cut = cut.u3.unwrap();
    assert!(
        cut.lz_star < -1.0 && cut.lz_star > -2.5,
        "lz* cutoff {}",
        cut.lz_star
    );
    assert!(u3_cut > 0.0 && u3_cut < 1.0, "U3 cutoff {u3_cut}");
    apply_cutoffs(&mut rep, &cut);
    let fresh: Vec<&PersonFit> = rep.fits[split..]
        .iter()
        .filter_map(|f| f.as_ref().ok())
        .collect();
    let with_u3 = fresh.iter().filter(|f| f.u3.is_some()).count();
    let rate_u3 =
        fresh.iter().filter(|f| f.flagged_u3 == Some(true)).count() as f64 / with_u3 as f64;
    let rate_lz = fresh
        .iter()
        .filter(|f| f.flagged_calibrated == Some(true))
        .count() as f64
        / fresh.len() as f64;
    let se = (0.05f64 * 0.95 / fresh.len() as f64).sqrt();
    eprintln!(
        "cutoffs lz* {:.4}, U3 {u3_cut:.4}; fresh flag rates lz* {rate_lz:.4}, U3 {rate_u3:.4} \
         (SE {se:.4}, n = {})",
        cut.lz_star,
        fresh.len()
    );
    assert!(
        (rate_lz - 0.05).abs() < 4.0 * se + 0.01,
        "lz* calibrated rate {rate_lz}"
    );
    assert!(
        (rate_u3 - 0.05).abs() < 4.0 * se + 0.01,
        "U3 rate {rate_u3}"
    );
    assert!(rep.note.contains("simulated cutoff"), "{}", rep.note);
}

// property: random guessers are flagged by lz* and U3 far more often than alpha (power at least
// ten times alpha). Under the 3PL a guesser looks much like a low-theta candidate answering at
// the lower asymptotes, so power is modest with 50 items (measured about 0.25 for lz*, 0.38 for
// U3 at alpha = 0.01).
#[test]
fn guessers_are_flagged() {
    let cfg = SimConfig {
        guesser_share: 0.05,
        ..null_config(13, 4000)
    };
    let sim = simulate(&cfg).unwrap();
    let weights = U3Weights::from_data(&sim.data);
    let opts = PersonFitOptions::default();
    let mut rep = person_fit_all(&sim.bank, &sim.data, &opts, Some(&weights)).unwrap();
    let cut = person_fit_cutoffs(
        &sim.bank,
        &sim.data,
        &rep.fits,
        &opts,
        Some(&weights),
        20_000,
        5,
    )
    .unwrap();
    apply_cutoffs(&mut rep, &cut);
    let (mut n, mut hit, mut hit_u3) = (0, 0, 0);
    for (f, k) in rep.fits.iter().zip(&sim.kind) {
        if let (Ok(f), simulate::CandidateKind::Guesser) = (f, k) {
            n += 1;
            hit += usize::from(f.flagged);
            hit_u3 += usize::from(f.flagged_u3 == Some(true));
        }
    }
    let power = hit as f64 / n as f64;
    let power_u3 = hit_u3 as f64 / n as f64;
    eprintln!("guessers: {n}; lz* power {power:.3}, U3 power {power_u3:.3} at alpha 0.01");
    assert!(power > 0.1, "lz* power on guessers {power}");
    assert!(power_u3 > 0.1, "U3 power on guessers {power_u3}");
}
