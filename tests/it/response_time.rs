//! The lognormal response-time model: recovery, derivatives, properties of the flags.

use qbank::irt::response_time::*;
use rand::seq::index::sample;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

/// A seeded incomplete design: `n_persons` attempts, each `per` of `n_items` items at random.
fn simulate(
    seed: u64,
    n_persons: usize,
    n_items: usize,
    per: usize,
    sigma_tau: f64,
) -> (Vec<(f64, f64)>, Vec<f64>, TimeData) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let items: Vec<(f64, f64)> = (0..n_items)
        .map(|_| (rng.gen_range(3.0..5.0), rng.gen_range(1.2..2.5)))
        .collect();
    let normal = Normal::new(0.0, sigma_tau).unwrap();
    let tau: Vec<f64> = (0..n_persons).map(|_| normal.sample(&mut rng)).collect();
    let design: Vec<Vec<u32>> = (0..n_persons)
        .map(|_| {
            sample(&mut rng, n_items, per)
                .into_iter()
                .map(|i| i as u32)
                .collect()
        })
        .collect();
    let data = simulate_lognormal(&items, &tau, &design, &mut rng);
    (items, tau, data)
}

// recovery: 10 replications of 2000 persons x 40 items, 30 items per person (seeded), true
// beta ~ U(3, 5), alpha ~ U(1.2, 2.5), sigma_tau = 0.35. Pooled over replications, for beta,
// alpha and the ML tau: the RMSE is within 10 % of the mean SE, the mean bias is below 0.2 mean
// SEs, and 95 % Wald intervals cover between 92 % and 98 % (examples/rt_recovery prints the
// table for 20 replications).
#[test]
fn recovery_2000_by_40_incomplete() {
    let mut acc = [[0.0f64; 5]; 3];
    for rep in 0..10u64 {
        let (items, tau, data) = simulate(1000 + rep, 2000, 40, 30, 0.35);
        let fit = fit_lognormal_rt(&data, 40, &RtOptions::default()).expect("fit");
        assert!(fit.converged, "replication {rep} converged");
        let mut add = |k: usize, est: f64, truth: f64, se: f64| {
            let e = est - truth;
            acc[k][0] += e;
            acc[k][1] += e * e;
            acc[k][2] += se;
            acc[k][3] += ((e / se).abs() <= 1.959964) as u8 as f64;
            acc[k][4] += 1.0;
        };
        for (it, &(b, a)) in fit.items.iter().zip(&items) {
            add(0, it.beta.unwrap(), b, it.se_beta.unwrap());
            add(1, it.alpha.unwrap(), a, it.se_alpha.unwrap());
        }
        for (p, &t) in fit.persons.iter().zip(&tau) {
            add(2, p.tau.unwrap(), t, p.se_tau.unwrap());
        }
    }
    for (k, name) in ["beta", "alpha", "tau"].iter().enumerate() {
        let n = acc[k][4];
        let (bias, rmse, se, cover) = (
            acc[k][0] / n,
            (acc[k][1] / n).sqrt(),
            acc[k][2] / n,
            acc[k][3] / n,
        );
        assert!(
            (rmse / se - 1.0).abs() < 0.10,
            "{name}: RMSE {rmse:.5} vs mean SE {se:.5}"
        );
        assert!(
            bias.abs() < 0.2 * se,
            "{name}: mean bias {bias:.5} vs mean SE {se:.5}"
        );
        assert!(
            (0.92..=0.98).contains(&cover),
            "{name}: 95% coverage {cover:.3}"
        );
    }
}

fn ll(data: &TimeData, items: &[(f64, f64)], sigma: f64) -> f64 {
    marginal_log_likelihood(data, items, sigma).expect("log-likelihood")
}

// derivative: at the MML estimate the finite-difference gradient of the marginal
// log-likelihood in beta_i, ln alpha_i and ln sigma_tau vanishes (|g| < 1e-3 against second
// derivatives of order 1e3-1e4), and for beta, whose observed information equals the expected
// information in a normal model, the SEs from the inverted finite-difference Hessian equal the
// reported (expected-information) SEs to 1e-5 (relative); for alpha, where observed and
// expected information differ by sampling error, to 2 %, and for sigma_tau to 5 %.
#[test]
fn gradient_and_information_by_finite_differences() {
    let (_, _, data) = simulate(77, 400, 8, 6, 0.35);
    let fit = fit_lognormal_rt(
        &data,
        8,
        &RtOptions {
            tolerance: 1e-10,
            ..RtOptions::default()
        },
    )
    .expect("fit");
    // The fit's passes run on the 28 item sets' moments; the reported log-likelihood is the
    // sweep of the responses' at the estimates, up to rounding.
    let sweep = ll(&data, &params(&fit), fit.sigma_tau);
    assert!(
        (fit.log_likelihood - sweep).abs() < 1e-10 * sweep.abs(),
        "reported log-likelihood {} vs {sweep}",
        fit.log_likelihood
    );
    let base = params(&fit);
    let h = 1e-5;
    // gradient
    for i in 0..8 {
        for which in 0..2 {
            let f = |d: f64| {
                let mut p = base.clone();
                if which == 0 {
                    p[i].0 += d;
                } else {
                    p[i].1 *= d.exp();
                }
                ll(&data, &p, fit.sigma_tau)
            };
            let g = (f(h) - f(-h)) / (2.0 * h);
            assert!(
                g.abs() < 1e-3,
                "item {i}: d LL / d {} = {g}",
                if which == 0 { "beta" } else { "ln alpha" }
            );
        }
    }
    let g = (ll(&data, &base, fit.sigma_tau * h.exp())
        - ll(&data, &base, fit.sigma_tau * (-h).exp()))
        / (2.0 * h);
    assert!(g.abs() < 1e-3, "d LL / d ln sigma_tau = {g}");
    // beta block of the Hessian
    let h = 1e-4;
    let mut hess = nalgebra::DMatrix::<f64>::zeros(8, 8);
    for i in 0..8 {
        for k in 0..8 {
            let f = |di: f64, dk: f64| {
                let mut p = base.clone();
                p[i].0 += di;
                p[k].0 += dk;
                ll(&data, &p, fit.sigma_tau)
            };
            hess[(i, k)] = -(f(h, h) - f(h, -h) - f(-h, h) + f(-h, -h)) / (4.0 * h * h);
        }
    }
    let cov = hess.try_inverse().expect("invertible");
    for i in 0..8 {
        let se = cov[(i, i)].sqrt();
        let reported = fit.items[i].se_beta.unwrap();
        assert!(
            (se / reported - 1.0).abs() < 1e-5,
            "item {i}: SE(beta) {reported:.6}, from the Hessian {se:.6}"
        );
    }
    // alpha: Hessian in (alpha_1..alpha_8, sigma) (beta is orthogonal to the variances)
    let mut hess = nalgebra::DMatrix::<f64>::zeros(9, 9);
    let f = |d: &[f64; 9]| {
        let p: Vec<(f64, f64)> = base
            .iter()
            .enumerate()
            .map(|(i, &(b, a))| (b, a + d[i]))
            .collect();
        ll(&data, &p, fit.sigma_tau + d[8])
    };
    for i in 0..9 {
        for k in 0..9 {
            let mut e = [[0.0; 9]; 4];
            e[0][i] += h;
            e[0][k] += h;
            e[1][i] += h;
            e[1][k] -= h;
            e[2][i] -= h;
            e[2][k] += h;
            e[3][i] -= h;
            e[3][k] -= h;
            hess[(i, k)] = -(f(&e[0]) - f(&e[1]) - f(&e[2]) + f(&e[3])) / (4.0 * h * h);
        }
    }
    let cov = hess.try_inverse().expect("invertible");
    for i in 0..8 {
        let se = cov[(i, i)].sqrt();
        let reported = fit.items[i].se_alpha.unwrap();
        assert!(
            (se / reported - 1.0).abs() < 0.02,
            "item {i}: SE(alpha) {reported:.5}, observed information {se:.5}"
        );
    }
    let se = cov[(8, 8)].sqrt();
    let reported = fit.se_sigma_tau.unwrap();
    assert!(
        (se / reported - 1.0).abs() < 0.05,
        "SE(sigma_tau) {reported:.5}, observed information {se:.5}"
    );
}

fn params(fit: &RtFit) -> Vec<(f64, f64)> {
    fit.items
        .iter()
        .map(|i| (i.beta.unwrap(), i.alpha.unwrap()))
        .collect()
}

// property: the results do not depend on the number of threads (fixed blocks summed in order):
// 1 and 3 threads give identical fits, bit for bit, on data spanning several blocks.
#[test]
fn identical_whatever_the_thread_count() {
    let (_, _, data) = simulate(5, 20_000, 30, 12, 0.3);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let fit = fit_lognormal_rt(&data, 30, &RtOptions::default()).expect("fit");
            let z = residuals(&data, &fit).expect("residuals");
            let th = rapid_guess_thresholds(&data, 30, Some(&fit), &RapidGuessOptions::default())
                .expect("thresholds");
            (fit, z, th)
        })
    };
    let one = run(1);
    let three = run(3);
    assert!(one == three, "1 thread and 3 threads differ");
    // fixed forms: the EM passes run on the item sets' moments
    let items: Vec<(f64, f64)> = (0..30).map(|i| (3.0 + 0.05 * i as f64, 1.8)).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let tau: Vec<f64> = (0..20_000).map(|_| rng.gen_range(-0.5..0.5)).collect();
    let forms: Vec<Vec<u32>> = (0..3)
        .map(|f| (0..12).map(|k| (f * 9 + k) as u32 % 30).collect())
        .collect();
    let design: Vec<Vec<u32>> = (0..20_000).map(|j| forms[j % 3].clone()).collect();
    let fixed = simulate_lognormal(&items, &tau, &design, &mut rng);
    let fit = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| fit_lognormal_rt(&fixed, 30, &RtOptions::default()).expect("fit"))
    };
    assert!(
        fit(1) == fit(3),
        "fixed forms: 1 thread and 3 threads differ"
    );
}

// property: the one-pass residual_flags returns, bit for bit, what standardised_residuals,
// speed_aberrance, fast_correct_items and rapid_guess_flags return one by one.
#[test]
fn residual_flags_equal_the_flags_one_by_one() {
    let (_, _, mut data) = simulate(41, 3000, 40, 30, 0.35);
    data.seconds[7] = 0.0;
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let correct: Vec<bool> = (0..data.n_responses()).map(|_| rng.gen_bool(0.7)).collect();
    let fit = fit_lognormal_rt(&data, 40, &RtOptions::default()).expect("fit");
    let opts = FastCorrectOptions::default();
    let thresholds =
        rapid_guess_thresholds(&data, 40, Some(&fit), &RapidGuessOptions::default()).unwrap();
    let all = residual_flags(&data, &fit, &correct, &thresholds, 0.05, &opts).expect("flags");
    let z = standardised_residuals(&data, &fit).expect("residuals");
    assert!(
        all.standardised
            .iter()
            .map(|v| v.to_bits())
            .eq(z.iter().map(|v| v.to_bits())),
        "standardised residuals"
    );
    assert_eq!(
        all.speed,
        speed_aberrance(&data, &fit, 0.05).expect("speed")
    );
    assert_eq!(
        all.fast_correct,
        fast_correct_items(&data, &fit, &correct, &opts).expect("fast")
    );
    let rapid = rapid_guess_flags(&data, &thresholds).expect("rapid");
    assert!(all.rapid.flags.is_empty());
    assert_eq!(all.rapid.per_item, rapid.per_item);
    assert_eq!(all.rapid.per_person, rapid.per_person);
    assert_eq!(all.rapid.response_time_effort, rapid.response_time_effort);
}

// property: zero, negative, NaN and infinite times are skipped and counted, and the fit equals
// the fit of the data without those responses.
#[test]
fn unusable_times_are_skipped_and_counted() {
    let (_, _, data) = simulate(11, 300, 10, 8, 0.3);
    let mut dirty = data.clone();
    let bad = [0.0f32, -3.0, f32::NAN, f32::INFINITY];
    let mut removed = vec![false; data.n_responses()];
    for (k, r) in (0..data.n_responses()).step_by(37).enumerate() {
        dirty.seconds[r] = bad[k % 4];
        removed[r] = true;
    }
    let clean = TimeData::from_attempts((0..data.n_attempts()).map(|j| {
        data.attempt(j)
            .filter(|&r| !removed[r])
            .map(|r| (data.item[r], data.seconds[r]))
            .collect::<Vec<_>>()
    }));
    let a = fit_lognormal_rt(&dirty, 10, &RtOptions::default()).expect("dirty");
    let b = fit_lognormal_rt(&clean, 10, &RtOptions::default()).expect("clean");
    let n_removed = removed.iter().filter(|&&x| x).count();
    assert_eq!(a.n_skipped, n_removed, "skipped responses");
    assert_eq!(
        a.items.iter().map(|i| i.n_skipped).sum::<usize>(),
        n_removed,
        "skipped per item"
    );
    assert_eq!(
        a.persons.iter().map(|p| p.n_skipped).sum::<usize>(),
        n_removed,
        "skipped per person"
    );
    for (i, (x, y)) in a.items.iter().zip(&b.items).enumerate() {
        assert!(
            (x.beta.unwrap() - y.beta.unwrap()).abs() < 1e-12,
            "item {i}: beta"
        );
        assert!(
            (x.alpha.unwrap() - y.alpha.unwrap()).abs() < 1e-12,
            "item {i}: alpha"
        );
        assert_eq!(x.n, y.n, "item {i}: n");
    }
}

// property: an item below min_responses_per_item is excluded with a warning and no estimate,
// and an item nobody answered is simply absent.
#[test]
fn sparse_items_are_excluded() {
    let (_, _, mut data) = simulate(3, 200, 6, 5, 0.3);
    // item 6 answered by 3 attempts, item 7 by none (n_items = 8)
    let mut rebuilt = Vec::new();
    for j in 0..data.n_attempts() {
        let mut v: Vec<(u32, f32)> = data
            .attempt(j)
            .map(|r| (data.item[r], data.seconds[r]))
            .collect();
        if j < 3 {
            v.push((6, 40.0 + j as f32));
        }
        rebuilt.push(v);
    }
    data = TimeData::from_attempts(rebuilt);
    let fit = fit_lognormal_rt(
        &data,
        8,
        &RtOptions {
            min_responses_per_item: 10,
            ..RtOptions::default()
        },
    )
    .expect("fit");
    assert!(
        fit.items[6].beta.is_none() && fit.items[7].beta.is_none(),
        "items 6 and 7 not estimated"
    );
    assert_eq!(fit.n_on_excluded_items, 3, "responses on excluded items");
    assert!(
        fit.warnings.contains(&RtWarning::ItemExcluded {
            item: 6,
            n: 3,
            min: 10
        }),
        "warning for item 6: {:?}",
        fit.warnings
    );
    assert!(
        fit.items[..6]
            .iter()
            .all(|i| i.beta.is_some() && i.se_beta.is_some()),
        "items 0-5 estimated"
    );
}

// property: NT10 is 10 % of the item's mean time, at most 10 s (Wise & Ma 2012); Median and
// exp(beta) variants; responses below the threshold are flagged, unusable times never.
#[test]
fn nt10_thresholds_and_flags() {
    let data = TimeData::from_attempts(vec![
        vec![(0, 40.0), (1, 200.0)],
        vec![(0, 60.0), (1, 100.0), (2, 0.0)],
        vec![(0, 3.0), (1, 9.0), (2, -1.0)],
        vec![(0, 50.0), (1, 150.0)],
    ]);
    let th = rapid_guess_thresholds(&data, 3, None, &RapidGuessOptions::default()).expect("NT10");
    assert!(
        (th[0].unwrap() - 0.1 * (40.0 + 60.0 + 3.0 + 50.0) / 4.0).abs() < 1e-9,
        "item 0: 10% of the mean"
    );
    assert_eq!(th[1], Some(10.0), "item 1: mean 114.75 s, capped at 10 s");
    assert_eq!(th[2], None, "item 2: no usable time");
    let med = rapid_guess_thresholds(
        &data,
        3,
        None,
        &RapidGuessOptions {
            typical: TypicalTime::Median,
            cap_seconds: None,
            ..RapidGuessOptions::default()
        },
    )
    .expect("median");
    assert!(
        (med[0].unwrap() - 4.5).abs() < 1e-9,
        "item 0: 10% of the median 45 s"
    );
    assert!(
        (med[1].unwrap() - 12.5).abs() < 1e-9,
        "item 1: 10% of the median 125 s, uncapped"
    );
    assert_eq!(
        rapid_guess_thresholds(
            &data,
            3,
            None,
            &RapidGuessOptions {
                typical: TypicalTime::ExpBeta,
                ..RapidGuessOptions::default()
            }
        ),
        Err(RtError::NeedsFit)
    );
    let flags = rapid_guess_flags(&data, &th).expect("flags");
    assert_eq!(
        flags.flags,
        vec![false, false, false, false, false, true, true, false, false, false],
        "per response"
    );
    assert_eq!(flags.per_item, vec![1, 1, 0], "per item");
    assert_eq!(flags.per_person, vec![0, 0, 2, 0], "per person");
    assert_eq!(
        flags.response_time_effort[2],
        Some(0.0),
        "attempt 2: both usable responses rapid"
    );
    assert_eq!(
        flags.response_time_effort[1],
        Some(1.0),
        "attempt 1: the zero time is not usable"
    );
}

// property: under the model the chi-square person-fit statistic flags about alpha_level of the
// attempts (5 % +- 1 %); an attempt answering half its items 5 times faster than its speed is
// flagged with p < 1e-6; the statistic is the sum of the squared residuals.
#[test]
fn speed_aberrance_has_its_nominal_rate_and_power() {
    let (items, tau, mut data) = simulate(21, 3000, 40, 30, 0.35);
    // attempt 0: first 15 responses 5 times faster
    for r in data.attempt(0).take(15) {
        data.seconds[r] /= 5.0;
    }
    let fit = fit_lognormal_rt(&data, 40, &RtOptions::default()).expect("fit");
    let pf = speed_aberrance(&data, &fit, 0.05).expect("person fit");
    let rate = pf[1..].iter().filter(|p| p.flagged).count() as f64 / (pf.len() - 1) as f64;
    assert!((rate - 0.05).abs() < 0.01, "false-positive rate {rate}");
    assert!(
        pf[0].p_value.unwrap() < 1e-6,
        "aberrant attempt p = {:?}",
        pf[0].p_value
    );
    assert_eq!(pf[0].df, 29, "df = n - 1");
    let z = residuals(&data, &fit).expect("residuals");
    let l: f64 = data
        .attempt(5)
        .map(|r| (z[r].unwrap() as f64).powi(2))
        .sum();
    assert!(
        (l - pf[5].chi_square.unwrap()).abs() < 1e-3,
        "chi-square = sum z^2"
    );
    let _ = (items, tau);
}

// property: with correctness independent of time, no item is flagged at 1 % (40 items) and the
// observed share of fast right answers is near the expected one; an item whose right answers
// are 4 times faster for a third of the attempts (pre-knowledge) is flagged.
#[test]
fn fast_correct_items_detects_preknowledge() {
    let (_, _, mut data) = simulate(31, 3000, 40, 30, 0.35);
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    let correct: Vec<bool> = (0..data.n_responses()).map(|_| rng.gen_bool(0.7)).collect();
    let fit = fit_lognormal_rt(&data, 40, &RtOptions::default()).expect("fit");
    let res =
        fast_correct_items(&data, &fit, &correct, &FastCorrectOptions::default()).expect("fast");
    let flagged: Vec<usize> = res
        .iter()
        .enumerate()
        .filter(|(_, r)| r.flagged)
        .map(|(i, _)| i)
        .collect();
    assert!(flagged.is_empty(), "clean data: flagged items {flagged:?}");
    let (obs, exp): (f64, f64) = res.iter().fold((0.0, 0.0), |a, r| {
        (
            a.0 + r.n_fast_correct as f64,
            a.1 + r.expected_share.unwrap() * r.n_correct as f64,
        )
    });
    assert!(
        (obs / exp - 1.0).abs() < 0.08,
        "fast right answers {obs} vs expected {exp}"
    );
    // item 0 compromised
    for j in (0..data.n_attempts()).step_by(3) {
        for r in data.attempt(j) {
            if data.item[r] == 0 && correct[r] {
                data.seconds[r] /= 4.0;
            }
        }
    }
    let fit = fit_lognormal_rt(&data, 40, &RtOptions::default()).expect("fit");
    let res =
        fast_correct_items(&data, &fit, &correct, &FastCorrectOptions::default()).expect("fast");
    assert!(
        res[0].flagged,
        "compromised item 0: share {:?} vs expected {:?}",
        res[0].share, res[0].expected_share
    );
}

// property: typed errors name the attempt and item.
#[test]
fn validation_errors() {
    let data = TimeData::from_attempts(vec![vec![(0u32, 10.0f32), (5, 3.0)]]);
    assert_eq!(
        fit_lognormal_rt(&data, 3, &RtOptions::default()),
        Err(RtError::ItemOutOfRange {
            attempt: 0,
            position: 1,
            item: 5,
            n_items: 3
        })
    );
    let dup = TimeData::from_attempts(vec![vec![(1u32, 10.0f32)], vec![(0, 10.0), (0, 3.0)]]);
    assert_eq!(
        fit_lognormal_rt(&dup, 3, &RtOptions::default()),
        Err(RtError::DuplicateItem {
            attempt: 1,
            item: 0
        })
    );
    let bad = TimeData {
        offsets: vec![0, 2],
        item: vec![0],
        seconds: vec![1.0],
    };
    assert_eq!(
        fit_lognormal_rt(&bad, 3, &RtOptions::default()),
        Err(RtError::OffsetsEnd {
            last: 2,
            n_responses: 1
        })
    );
    let zeros = TimeData::from_attempts(vec![vec![(0u32, 0.0f32), (1, 0.0)]]);
    assert_eq!(
        fit_lognormal_rt(&zeros, 2, &RtOptions::default()),
        Err(RtError::NoUsableTimes { skipped: 2 })
    );
    let single = TimeData::from_attempts(vec![
        vec![(0u32, 5.0f32)],
        vec![(1, 6.0)],
        vec![(0, 7.0)],
        vec![(1, 8.0)],
    ]);
    assert_eq!(
        fit_lognormal_rt(&single, 2, &RtOptions::default()),
        Err(RtError::NotIdentified)
    );
}
