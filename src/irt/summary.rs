//! The summary of a calibration (`calibration.json`): sizes, convergence, fit indices and the
//! latent density of each group.

use serde::Serialize;

/// Summary of a calibration for `calibration.json`.
#[derive(Debug, Clone, Serialize)]
pub struct CalibrationSummary {
    pub mode: Option<super::workflow::Mode>,
    pub model: super::ModelKind,
    pub scale_d: f64,
    pub persons: usize,
    pub items: usize,
    pub responses: usize,
    pub iterations: usize,
    pub termination: super::Termination,
    pub converged: bool,
    pub log_likelihood: f64,
    pub free_parameters: usize,
    pub aic: f64,
    pub bic: f64,
    /// What `log_likelihood`, `aic` and `bic` are: the maximised log-likelihood, or under priors
    /// (Bayes modal estimation) the log-likelihood at the estimates that maximise the penalised
    /// log-posterior (log-likelihood plus log priors), for which AIC and BIC are not the usual
    /// information criteria.
    pub criteria_basis: &'static str,
    pub se_method: super::SeMethod,
    pub groups: Vec<GroupSummary>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupSummary {
    pub group: String,
    pub persons: f64,
    pub mean: f64,
    pub sd: f64,
    pub se_mean: Option<f64>,
    pub se_sd: Option<f64>,
    pub fixed: bool,
}

impl CalibrationSummary {
    pub fn of(
        data: &super::Responses,
        cal: &super::Calibration,
        cov: &super::Covariance,
        estimates: &[super::ItemEstimate],
        model: super::ModelKind,
        mode: Option<super::workflow::Mode>,
    ) -> CalibrationSummary {
        let k = cal.n_free() as f64;
        let n: f64 = data.weight.iter().sum();
        let mut per_group = vec![0.0; cal.latent.len()];
        for p in 0..data.n_persons() {
            per_group[data.group[p] as usize] += data.weight[p];
        }
        let mut warnings = Vec::new();
        if cal.termination != super::Termination::Converged {
            warnings.push(format!(
                "EM did not converge in {} cycles: estimates are provisional",
                cal.iterations
            ));
        }
        for e in estimates {
            for f in &e.flags {
                warnings.push(format!("item {}: {f}", e.item_id));
            }
        }
        CalibrationSummary {
            mode,
            model,
            scale_d: cal.items.first().map(|m| m.scale_d).unwrap_or(1.0),
            persons: data.n_persons(),
            items: data.n_items(),
            responses: data.n_responses(),
            iterations: cal.iterations,
            termination: cal.termination,
            converged: cal.termination == super::Termination::Converged,
            log_likelihood: cal.loglik,
            free_parameters: cal.n_free(),
            aic: -2.0 * cal.loglik + 2.0 * k,
            bic: -2.0 * cal.loglik + k * n.ln(),
            criteria_basis: if cal
                .items
                .iter()
                .any(|m| m.priors != super::Priors::default())
            {
                "log-likelihood at the Bayes modal estimates (the maximised criterion is the penalised log-posterior: log-likelihood plus log priors); AIC and BIC are approximate"
            } else {
                "maximised log-likelihood"
            },
            se_method: cov.method,
            groups: cal
                .latent
                .iter()
                .enumerate()
                .map(|(g, l)| GroupSummary {
                    group: data.group_names.get(g).cloned().unwrap_or_default(),
                    persons: per_group[g],
                    mean: l.mean,
                    sd: l.sd,
                    se_mean: cov.latent[g].0,
                    se_sd: cov.latent[g].1,
                    fixed: !l.free.0 && !l.free.1,
                })
                .collect(),
            warnings,
        }
    }
}
