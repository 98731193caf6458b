"""Chapter 7 (book/07_training_readout.ipynb): its generalising sentences and their checks."""

from __future__ import annotations

from ._common import Claim as C, NotAClaim as N

ENTRIES: list = [
    N(r"drop channels that never move", "description"),
    C(r"cut each trial 80/10/10 *in time* before anything else (so no frame is shared "
      r"between splits)",
      ("tests/test_mocap.py::test_preprocessing_closed_forms",),
      "a hand-made 400-frame trial: the validation part holds exactly its frames 320 to 359"),
    N(r"showed that this is not the Jacobian of any map the LSTM iterates", "definition"),
    N(r"Whether the spectrum tells us anything needs many runs", "description"),
    C(r"And most have *settled*",
      ("cell: assert 2 * np.sum(~done) < len(done)",
       "cell: assert np.all(fit[\"convergence\"][\"best_epoch\"] < s[\"conv_epochs\"])"),
      "the 54 text runs of the committed results (48 of the family, 6 convergence runs; "
      "counts glued beside it)"),
    C(r"Every one of them ended with a lower training loss than at its best epoch and a "
      r"higher validation loss",
      ("cell: assert all(train_at(r, -1) < train_at(r, e) for r, e, d in zip(text_runs, "
       "best_ep, done) if d)",),
      "every text run that settled (glued count), its last epoch against its best"),
    C(r"**Text.** Every one of the {glue:text}`cfg_n_char` text runs ends below the bigram "
      r"model's",
      ("cell: assert loss_char.max() < bigram",),
      "all 48 text runs against the bigram on the same first 10,000 validation characters "
      "(named in the sentence)"),
    C(r"**Motion capture.** Every one of the {glue:text}`cfg_n_reg` motion runs starts as the "
      r"persistence forecast",
      ('cell: assert np.allclose(fit["regression"]["start"], persist, rtol=1e-3)',
       'cell: assert loss_reg.max() < persist and fit["regression"]["best_epoch"].min() > 0'),
      "all 40 motion runs of the committed results, on the validation split (named)"),
    C(r"The ridge regression does better than every network",
      ("cell: assert ridge < loss_reg.min()",),
      "all 40 motion runs of the committed results against ridge with its penalty chosen "
      "among 10^0 to 10^4 (named in the text)"),
    C(r"What agrees with the paper: the spectrum changes most in the first epoch, for every "
      r"$p$ {glue:text}`ratio_lo:.1f` to {glue:text}`ratio_hi:.1f` times more than in any "
      r"later epoch",
      ("cell: assert min(ratio) > 1",),
      "every run of the convergence family (the p named in the text), committed results"),
    C(r"the 95% intervals lie above 1 (lowest lower end {glue:text}`fast_low:.1f`), so the "
      r"change falls faster than $1/t$",
      ('cell: assert all(f["low"] > 1 for f in fits[:-1])',),
      "the five convergence runs with p = 0.04 to 0.2 (named), OLS intervals of a power "
      "law over epochs 1 to 10, the constant learning rate"),
    C(r"orders of magnitude less than in its first epoch",
      ("cell: assert min(before_best) > 1",),
      "the six convergence runs (named), the epoch that brought each to its best against "
      "its first epoch"),
    N(r"but a plane leaves in both any curved dependence on the two", "definition"),
    C(r"the calibrated spectrum readout did no better than chance here",
      ('cell: assert lo("char", "spectrum_fit") < hi("char", "random")',),
      "the 48 text runs, 500 pools, two standard errors (named)"),
    C(r"which leaves unresolved whether $\lambda_{\max}$ says more than these two",
      ('cell: assert found[name]["low"] < 0 < found[name]["high"]',),
      "the 48 text runs: a full quadratic and ranks in log lr and log dropout leave "
      "intervals that contain zero (2000 run bootstraps)"),
    C(r"Whether it says more than the learning rate and the dropout rate, which move both, "
      r"cannot be resolved",
      ('cell: assert found[name]["low"] < 0 < found[name]["high"]',
       'cell: assert found["partial"]["high"] < 0'),
      "the 48 text runs: a quadratic leaves an interval containing zero, planes one below "
      "zero (numbers glued beside it)"),
    C(r"the fit cannot tell it from $1/t$",
      ('cell: assert conv[-1]["config"]["p"] == 0.5 and fits[-1]["low"] < 1 < '
       'fits[-1]["high"]',),
      "the p = 0.5 convergence run, epochs 1 to 10 (named)"),
    C(r"says more about the loss than the two hyperparameters that move both cannot be "
      r"resolved",
      ('cell: assert found["partial"]["high"] < 0',
       'cell: assert found[name]["low"] < 0 < found[name]["high"]'),
      "the 48 text runs (named), 2000 run bootstraps: planes in log lr and log dropout "
      "leave an interval below zero; a full quadratic and ranks leave intervals that "
      "contain zero"),
    C(r"give borderline intervals whose upper ends sit at zero",
      ("cell: assert all(abs(h) < 0.05 for h in highs) and max(c[\"low\"] for c in cs) "
       "< -0.5",),
      "the 40 motion runs' final networks, bootstrap seeds 0 to 4 (five seeds, named): "
      "every upper end within 0.05 of zero"),
    C(r"an interval that just touches zero",
      ("cell: assert all(abs(h) < 0.05 for h in highs) and max(c[\"low\"] for c in cs) "
       "< -0.5",),
      "p against the 40 motion losses, bootstrap seeds 0 to 4 (named)"),
    C(r"On these two trials the paper's motion sign is neither confirmed nor excluded",
      ("cell: assert all(abs(h) < 0.05 for h in highs) and max(c[\"low\"] for c in cs) "
       "< -0.5", 'cell: assert all(c["low"] < 0 < c["high"] for c in mean_best)'),
      "the 40 motion runs: spectra at each run's best epoch and of the final networks, "
      "five bootstrap seeds each"),
    C(r"Later the validation loss does rank them",
      ('cell: assert reg4["low"] > 0',),
      "the 40 motion runs, readout after epoch 4 (named), 200 held-out splits"),
    C(r"far more than the paper's 4%",
      ('cell: assert 100 * cost["regression"]["fraction"][0] > 3 * 4',),
      "the motion-capture runs of the committed results (at least three times 4%)"),
    N(r"and a spectrum costs the same whatever the epoch", "description"),
    C(r"far less than the paper's 1.04 epochs",
      ("cell: assert pass_frac < 10",),
      "one spectrum against one pass over the training text (under 10%)"),
    C(r"the early validation loss did no better than chance (regret",
      ('cell: assert lo("regression", "val_loss") < hi("regression", "random")',
       'cell: assert all(b["low"] < 0 < b["high"] for b in boot.values())'),
      "the 40 motion runs (named): 500 pools, two standard errors; and 100 run "
      "resamples of 100 pools each"),
    C(r"the sign rule's lead is not resolved",
      ('cell: assert all(b["low"] < 0 < b["high"] for b in boot.values())',),
      "the 40 motion runs, 100 run resamples of 100 pools each (named)"),
    C(r"the same removals leave a small correlation that stays measurable",
      ('cell: assert all(c["high"] < 0 for c in alt_rm)',),
      "the 48 Austen runs: planes, a full quadratic and ranks, bootstrap seeds 0 to 4"),
    C(r"over five bootstrap seeds every upper end stays below zero",
      ('cell: assert all(c["high"] < 0 for c in alt_rm)',
       'cell: assert alt_c["alt_char_max"]["high"] < 0'),
      "the 48 Austen runs of the stand-in results (named), planes, a full quadratic and "
      "ranks in log lr and log dropout, bootstrap seeds 0 to 4"),
    C(r"every network ends below both baselines, by far",
      ('cell: assert max(alt_l["char"]) < alt_base["char"] and max(alt_l["regression"]) '
       '< alt_ridge',),
      "every Chicago run against persistence and ridge (numbers glued beside it)"),
    C(r"the mean exponent does not rank the runs",
      ('cell: assert alt_c["alt_regression_mean"]["low"] < 0 < '
       'alt_c["alt_regression_mean"]["high"]',),
      "the Chicago runs of the stand-in results, 2000 run bootstraps"),
    C(r"ranked held-out runs, with overlapping intervals",
      ('cell: assert min(e1s["low"], e1v["low"]) > 0',
       'cell: assert e1s["low"] < e1v["high"] and e1v["low"] < e1s["high"]'),
      "the earlier recipe's 40 motion runs, readout after one epoch, 200 splits"),
    C(r"stopped and restarted, it skips the runs already in the file",
      ("tests/test_experiments.py::test_run_experiments_writes_and_resumes",),
      "a tiny plan run twice: the second run trains nothing"),
    C(r"the motion trials are cut in time before any preprocessing, so no frame is shared "
      r"between splits",
      ("tests/test_mocap.py::test_preprocessing_closed_forms",),
      "a hand-made 400-frame trial: the validation part holds exactly its frames 320 to 359"),
    C(r"faster than $1/t$ for $p$ from {glue:text}`conv_p_lo:g` to 0.2 and cannot be told "
      r"from $1/t$",
      ('cell: assert all(f["low"] > 1 for f in fits[:-1])',
       'cell: assert conv[-1]["config"]["p"] == 0.5 and fits[-1]["low"] < 1 < '
       'fits[-1]["high"]'),
      "the six convergence runs, epochs 1 to 10 at a constant learning rate (named)"),
    C(r"where the validation loss did no better than chance; resampling the runs leaves "
      r"every one of these differences unresolved",
      ('cell: assert lo("regression", "val_loss") < hi("regression", "random")',
       'cell: assert all(b["low"] < 0 < b["high"] for b in boot.values())'),
      "the 40 motion runs (named): 500 pools; 100 run resamples of 100 pools each"),
    N(r"a run below the bigram's loss has learned more than which letter tends to follow "
      r"which", "definition"),
    N(r"rank statistics are unchanged by any monotone transformation", "definition"),
    N(r"the spectrum's change between epochs falls like $1/t$", "question"),
]
