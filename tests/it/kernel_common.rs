//! Test data readers (files copied into tests/data/kernel, see tests/data/README.md).

pub fn data_path(name: &str) -> std::path::PathBuf {
    let sub = if name.starts_with("kbneat") {
        name.to_string()
    } else {
        format!("kernel/{name}")
    };
    super::common::data_path(&sub)
}

/// Math20EG: score frequencies of X and Y, scores 0..=20.
pub fn math20eg() -> (Vec<f64>, Vec<f64>) {
    let mut rdr = csv::Reader::from_path(data_path("math20eg.csv")).expect("math20eg.csv");
    let (mut x, mut y) = (vec![], vec![]);
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.expect("math20eg record");
        assert_eq!(
            rec[0].parse::<usize>().unwrap(),
            i,
            "scores in order 0..=20"
        );
        x.push(rec[1].parse().unwrap());
        y.push(rec[2].parse().unwrap());
    }
    (x, y)
}

/// Kolen & Brennan's NEAT example: (total, anchor) per examinee.
pub fn kbneat(form: &str) -> (Vec<u32>, Vec<u32>) {
    let mut rdr = csv::Reader::from_path(data_path(&format!("kbneat_{form}.csv"))).expect("kbneat");
    let (mut t, mut a) = (vec![], vec![]);
    for rec in rdr.records() {
        let rec = rec.expect("kbneat record");
        t.push(rec[0].trim().parse().unwrap());
        a.push(rec[1].trim().parse().unwrap());
    }
    (t, a)
}

/// Population mean and SD of a frequency distribution over scores 0..len-1.
pub fn mean_sd(freq: &[f64]) -> (f64, f64) {
    let n: f64 = freq.iter().sum();
    let m = freq
        .iter()
        .enumerate()
        .map(|(x, f)| x as f64 * f)
        .sum::<f64>()
        / n;
    let v = freq
        .iter()
        .enumerate()
        .map(|(x, f)| (x as f64 - m).powi(2) * f)
        .sum::<f64>()
        / n;
    (m, v.sqrt())
}
