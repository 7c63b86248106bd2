# Reference values for tests/reference_person_fit.rs, computed in R 4.2 (base R only) by
# formulas written out independently of the Rust code:
#  - lz: Drasgow, Levine & Williams (1985): (l0 - E l0) / sqrt(Var l0)
#  - lz*: Snijders (2001) in the conventions of PerFit::lzstar (R/lzstar.R, CRAN PerFit 1.4.x):
#    D = 1 (PerFit has no D), w = ln(P/Q), r = P'/(PQ), c_n = sum P'w / sum P'r,
#    tau^2 = sum (w - c_n r)^2 P Q, E W = -c_n r0 with r0 = 0 (ML),
#    sum(P'P''/(PQ)) / (2 sum(P'^2/(PQ))) (WL), (mu - theta)/sigma^2 (BM); PerFit rounds to
#    4 decimals, we print 10.
#  - theta: ML by optimize() on [-4, 4] (irtoys::mlebme's interval, tighter tol); WLE by
#    uniroot() of irtoys' 3PL Warm score (irtoys R/ability.R `scf`) on [-10, 10]; BM (MAP) by
#    optimize() of the log posterior with a N(0, 1) prior.
# Run: Rscript person_fit_reference.R
options(digits = 12)
a  <- c(1.2, 0.8, 1.5, 1.0, 2.0, 0.7, 1.3, 1.1)
b  <- c(-1.5, -0.8, -0.3, 0.0, 0.4, 0.9, 1.4, 2.0)
cc <- c(0.2, 0.15, 0.25, 0.1, 0.2, 0.0, 0.15, 0.2)
X <- rbind(c(1,1,1,1,0,1,0,0),
           c(0,0,1,0,1,1,1,1),
           c(1,1,0,1,1,0,0,0),
           c(1,0,1,1,1,1,1,0))
P   <- function(t) cc + (1 - cc) / (1 + exp(-a * (t - b)))
dP  <- function(t) { e <- exp(a * (t - b)); (1 - cc) * a * e / (1 + e)^2 }
d2P <- function(t) { e <- exp(a * (t - b)); (1 - cc) * a^2 * e * (1 - e) / (1 + e)^3 }
loglik <- function(t, x) sum(x * log(P(t)) + (1 - x) * log(1 - P(t)))
warm_score <- function(t, x) {           # irtoys' scf, 3PL branch
  lgt <- exp(a * (t - b)); pr <- lgt / (1 + lgt)
  z <- x - pr - cc * x / (cc + lgt)
  pr3 <- cc + (1 - cc) * pr
  ii <- a^2 / pr3 * (1 - pr3) * pr^2
  sum(a * z) + sum(ii * a * (1 - 2 * pr)) / (2 * sum(ii))
}
lz <- function(t, x) {
  p <- P(t); q <- 1 - p
  (sum(x * log(p) + (1 - x) * log(q)) - sum(p * log(p) + q * log(q))) / sqrt(sum(p * q * log(p / q)^2))
}
lzstar <- function(t, x, type) {
  p <- P(t); q <- 1 - p; d1 <- dP(t); d2 <- d2P(t)
  r <- d1 / (p * q); w <- log(p / q)
  r0 <- switch(type, ML = 0, BM = (0 - t) / 1, WL = sum(d1 * d2 / (p * q)) / (2 * sum(d1^2 / (p * q))))
  cn <- sum(d1 * w) / sum(d1 * r)
  tau2 <- sum((w - cn * r)^2 * p * q)
  (sum((x - p) * w) + cn * r0) / sqrt(tau2)
}
for (k in 1:nrow(X)) {
  x <- X[k, ]
  ml  <- optimize(loglik, c(-4, 4), x = x, maximum = TRUE, tol = 1e-12)$maximum
  wle <- uniroot(warm_score, c(-10, 10), x = x, tol = 1e-13)$root
  bm  <- optimize(function(t) loglik(t, x) + dnorm(t, log = TRUE), c(-4, 4), maximum = TRUE, tol = 1e-12)$maximum
  cat(sprintf("pattern %d: %s\n", k, paste(x, collapse = "")))
  cat(sprintf("  lz(theta=0.5)=%.10f\n", lz(0.5, x)))
  cat(sprintf("  theta_ml=%.10f lz=%.10f lzstar_ml=%.10f\n", ml, lz(ml, x), lzstar(ml, x, "ML")))
  cat(sprintf("  theta_wle=%.10f lzstar_wl=%.10f\n", wle, lzstar(wle, x, "WL")))
  cat(sprintf("  theta_map=%.10f lzstar_bm=%.10f\n", bm, lzstar(bm, x, "BM")))
}
# lz of the 5-item hand example (tests/reference_person_fit.rs::lz_five_items_by_hand)
a5 <- c(1.0, 1.5, 0.8, 1.2, 2.0); b5 <- c(-1.0, -0.5, 0.0, 0.5, 1.0); c5 <- c(0.2, 0.1, 0.25, 0.0, 0.15)
x5 <- c(1, 0, 1, 1, 0); t5 <- 0.3
p5 <- c5 + (1 - c5) / (1 + exp(-a5 * (t5 - b5))); q5 <- 1 - p5
l0 <- sum(x5 * log(p5) + (1 - x5) * log(q5)); El0 <- sum(p5 * log(p5) + q5 * log(q5)); Vl0 <- sum(p5 * q5 * log(p5 / q5)^2)
cat(sprintf("five items: P=%s\n  l0=%.10f E=%.10f V=%.10f lz=%.10f\n", paste(sprintf("%.10f", p5), collapse = " "), l0, El0, Vl0, (l0 - El0) / sqrt(Vl0)))
# U3 (van der Flier 1982) in the conventions of PerFit::U3 (R/U3.R): item weights are the
# log-odds of the column proportions right, U3 = (sum of the r largest - observed) /
# (sum of the r largest - sum of the r smallest); persons with r = 0 or r = n have no value.
M <- rbind(c(1,1,1,0,0,0), c(1,1,0,1,0,0), c(0,0,0,1,1,1), c(1,0,1,0,1,0),
           c(1,1,1,1,1,0), c(1,1,0,0,0,0), c(0,1,1,1,0,0), c(1,1,1,0,1,0),
           c(1,0,0,0,0,1), c(1,1,1,1,0,1))
pv <- colMeans(M); lo <- log(pv / (1 - pv))
U3 <- apply(M, 1, function(x) { r <- sum(x); s <- sort(lo, decreasing = TRUE)
  top <- sum(s[seq_len(r)]); bot <- sum(sort(lo)[seq_len(r)]); (top - sum(x * lo)) / (top - bot) })
cat(sprintf("U3 p-values: %s\nU3: %s\n", paste(sprintf("%.1f", pv), collapse = " "),
            paste(sprintf("%.10f", U3), collapse = " ")))
