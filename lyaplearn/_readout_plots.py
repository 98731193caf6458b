"""Chapter 7's figures (Fig. 3, 4, 7, the readout and the replayed search), drawn from a results file.

Re-exported by :mod:`lyaplearn.experiments`, whose ``plot_*`` names are the public ones; the
analysis they draw is :mod:`lyaplearn.readout`.
"""

from __future__ import annotations

import numpy as np

from . import style
from .readout import (SIGN_RULE, best_epochs, correlation, feature_at, final_losses,
                      readout_prediction, records_at, reduced_change, runs, search_replay,
                      spearman)
from .training import FEATURES

__all__ = ["plot_fig3", "plot_fig4", "plot_fig7", "plot_readout", "plot_search"]



def _loss_colors(losses):
    import matplotlib as mpl
    norm = mpl.colors.Normalize(vmin=np.min(losses), vmax=np.max(losses))
    cmap = mpl.colormaps["viridis"]
    return cmap, norm


def _index(k: int) -> np.ndarray:
    return np.arange(1, k + 1)


_BASELINE_STYLES = ("--", ":", "-.", (0, (5, 1, 1, 1)))


def _check_baselines(baselines) -> dict:
    """``{family: {label: loss}}`` (families ``char``, ``regression``), or a clear error."""
    if baselines is None:
        return {}
    if not isinstance(baselines, dict) or not set(baselines) <= {"char", "regression"}:
        raise ValueError("baselines must be a dict {'char' or 'regression': {label: loss}}, "
                         f"got {baselines!r}")
    for family, lines in baselines.items():
        if not isinstance(lines, dict) or not all(
                isinstance(v, (int, float)) and np.isfinite(v) for v in lines.values()):
            raise ValueError(f"baselines[{family!r}] must map labels to finite losses, "
                             f"got {lines!r}")
    return baselines


def _draw_baselines(ax, lines: dict) -> None:
    """Horizontal reference lines at the losses of ``lines`` ({label: loss}), with a legend."""
    for (label, value), ls in zip(lines.items(), _BASELINE_STYLES * 4):
        ax.axhline(value, color="0.35", lw=1.0, ls=ls, label=f"{label} ({value:.4g})")
    if lines:
        ax.legend(fontsize=8, loc="best", handlelength=2.2, borderpad=0.3, labelspacing=0.2)


# How the figures name the two task families and the unit of their loss.
_TASK_NAMES = {"char": "text", "regression": "motion capture"}
_LOSS_UNITS = {"char": "nats per character",
               "regression": "mean-squared error, normalised channels"}
# the same, short enough for a colour bar or a stacked axis label
_LOSS_SHORT = {"char": "nats per character", "regression": "MSE, normalised channels"}
_LAMBDA_I = rf"$\lambda_i$ ({style.NATS_PER_STEP})"


@style.styled
def plot_fig3(results: dict, *, baselines: dict | None = None, figsize=(9.6, 6.6)):
    """Fig. 3: spectra over training for several p, their change between epochs, the mean's drift.

    ``baselines`` (``{"char": {label: loss}}``) draws reference losses in the validation
    panel (f).
    """
    baselines = _check_baselines(baselines)
    conv = sorted(runs(results, "convergence"), key=lambda r: r["config"]["p"])
    fig, axes = style.figure(2, 3, figsize=figsize)
    E = len(conv[0]["records"]) - 1
    shown = (0, min(E, max(1, E // 3)), E)
    for j, e in enumerate(shown):
        ax = axes[0, j]
        for r in conv:
            s = r["records"][e]["spectrum"]
            ax.plot(_index(len(s)), s, label=f"p = {r['config']['p']:g}")
        ax.set_title(f"({'abc'[j]}) after {e} epochs" if e else "(a) before training")
        ax.set_xlabel("exponent index $i$")
    axes[0, 0].set_ylabel(_LAMBDA_I)
    axes[0, 0].legend(loc="lower left", handlelength=1.2, borderpad=0.3, labelspacing=0.2)
    ax = axes[1, 0]
    t = np.arange(1, E + 1)
    for r in conv:
        S = np.array([rec["spectrum"] for rec in r["records"]])
        ax.loglog(t, reduced_change(S), marker="o", ms=3)   # colours as in (a)
    ax.loglog(t, 1.0 / t, "k--", label="1/t (the paper's reference)")
    after = conv[0]["config"].get("decay_after")
    if after and after < E:           # from here on the learning rate shrinks every epoch
        ax.axvspan(after + 0.5, E + 0.5, color="0.9", zorder=0,
                   label="learning rate decaying")
    ax.legend(fontsize=7, loc="lower left", handlelength=1.6, labelspacing=0.2)
    ax.set_xlabel("epoch $t$")
    ax.set_ylabel("relative squared change")
    ax.set_title("(d) change per epoch")
    ax = axes[1, 1]
    for r in conv:
        m = np.array([rec["features"]["mean"] for rec in r["records"]])
        ax.plot(np.arange(E + 1), m[-1] - m, marker="o", ms=3)
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xlabel("epoch $t$")
    ax.set_ylabel(rf"$\bar\lambda(\mathrm{{end}}) - \bar\lambda(t)$ ({style.NATS_PER_STEP})")
    ax.set_title("(e) drift of the mean")
    ax = axes[1, 2]
    for r in conv:     # from epoch 1 (the untrained loss would flatten the rest); best: ringed
        v = np.array([rec["val_loss"] for rec in r["records"]])
        (line,) = ax.plot(np.arange(1, E + 1), v[1:], marker="o", ms=3)
        b = int(np.argmin(v))
        ax.plot([b], [v[b]], marker="o", ms=9, mfc="none", mec=line.get_color(), mew=1.5)
    ax.set_xlabel("epoch $t$")
    ax.set_ylabel(f"validation loss ({_LOSS_UNITS['char']})")
    ax.set_title("(f) validation loss (best ringed)")
    _draw_baselines(ax, baselines.get("char", {}))
    return fig


def _corr_label(c: dict) -> str:
    return f"r = {c['r']:.2f} [{c['low']:.2f}, {c['high']:.2f}], n = {c['n']}"


def _feature_label(feature: str) -> str:
    return {"max": rf"$\lambda_{{\max}}$ ({style.NATS_PER_STEP})",
            "mean": rf"mean exponent $\bar\lambda$ ({style.NATS_PER_STEP})",
            "variance": "variance (nats² per step²)"}[feature]


def _epoch_words(epoch) -> str:
    if epoch == "best":
        return "at the best epoch"
    return "after training" if epoch == -1 else f"after epoch {epoch}"


@style.styled
def plot_fig4(results: dict, *, baselines: dict | None = None, epoch: int | str = "best",
              figsize=(10.0, 7.0)):
    """Fig. 4: spectra coloured by validation loss; loss against λ_max (text) and mean λ (regression).

    One colour bar per row, at its right, serves both panels of the row. ``baselines``
    (``{family: {label: loss}}``) draws reference losses across the scatter panels. The
    spectra are those at ``epoch``: by default each run's best validation epoch, the network
    the paper selects (an integer: that epoch of every run, -1 the final network).
    """
    import matplotlib as mpl

    baselines = _check_baselines(baselines)

    fig, axes = style.figure(2, 2, figsize=figsize)
    for row, family in enumerate(("char", "regression")):
        loss = final_losses(results, family)
        cmap, norm = _loss_colors(loss)
        ax = axes[row, 0]
        for rec, l in zip(records_at(results, family, epoch), loss):
            s = rec["spectrum"]
            ax.plot(_index(len(s)), s, color=cmap(norm(l)), lw=1)
        ax.set_xlabel("exponent index $i$")
        ax.set_ylabel(_LAMBDA_I)
        ax.set_title(f"({'ac'[row]}) {_TASK_NAMES[family]}: spectra {_epoch_words(epoch)}")
        task = runs(results, family)[0]["config"]["task"]
        feat = SIGN_RULE[task][0]
        x = feature_at(results, family, feat, epoch)
        c = correlation(x, loss)
        ax = axes[row, 1]
        ax.scatter(x, loss, c=loss, cmap=cmap, norm=norm, s=18)
        ax.set_xlabel(_feature_label(feat))
        ax.set_ylabel(f"best validation loss\n({_LOSS_UNITS[family]})")
        ax.set_title(f"({'bd'[row]}) {_corr_label(c)}", fontsize=10)
        _draw_baselines(ax, baselines.get(family, {}))
        fig.colorbar(mpl.cm.ScalarMappable(norm=norm, cmap=cmap), ax=axes[row, :],
                     label=f"best validation loss\n({_LOSS_SHORT[family]})", aspect=15)
    return fig


@style.styled
def plot_fig7(results: dict, *, baselines: dict | None = None, epoch: int | str = "best",
              figsize=(10.0, 6.4)):
    """Fig. 7: every spectrum feature (at ``epoch``, default each run's best) against the best
    validation loss.

    Each panel's title gives Pearson's r with its bootstrap interval and Spearman's ρ;
    ``baselines`` (``{family: {label: loss}}``) draws reference losses in every panel of the
    family's row (the legend in its first panel).
    """
    baselines = _check_baselines(baselines)
    fig, axes = style.figure(2, 3, figsize=figsize)
    for row, family in enumerate(("char", "regression")):
        loss = final_losses(results, family)
        for j, f in enumerate(FEATURES):
            x = feature_at(results, family, f, epoch)
            c = correlation(x, loss)
            ax = axes[row, j]
            ax.scatter(x, loss, s=14)
            ax.set_xlabel(_feature_label(f), fontsize=10)
            ax.set_title(f"r = {c['r']:.2f} [{c['low']:.2f}, {c['high']:.2f}], "
                         f"ρ = {spearman(x, loss):.2f}", fontsize=10)
            _draw_baselines(ax, baselines.get(family, {}))
            if j and ax.get_legend() is not None:
                ax.get_legend().remove()
        axes[row, 0].set_ylabel(f"{_TASK_NAMES[family]}:\nbest validation loss\n"
                                f"({_LOSS_SHORT[family]})")
    return fig


@style.styled
def plot_readout(results: dict, *, epochs=None, figsize=(11.0, 3.8)):
    """Held-out rank correlation of predicted and final loss, by the epoch the readout is taken."""
    fig, axes = style.figure(1, 2, figsize=figsize)
    for ax, family in zip(axes, ("char", "regression")):
        E = len(runs(results, family)[0]["records"]) - 1
        ep = list(epochs or range(0, E))
        for j, name in enumerate(("spectrum", "val_loss", "both")):
            cs = [readout_prediction(results, family, e, n_splits=100)[name] for e in ep]
            x = np.array(ep) + (j - 1) * 0.1
            r = np.array([c["r"] for c in cs])
            err = np.array([[c["r"] - c["low"], c["high"] - c["r"]] for c in cs]).T
            ax.errorbar(x, r, yerr=err, marker="o", ms=4, capsize=2,
                        label={"spectrum": "spectrum features", "val_loss": "validation loss",
                               "both": "both"}[name])
        first = int(best_epochs(results, family).min())
        if first <= max(ep):        # from here on, some runs' readout is their final loss
            ax.axvspan(first - 0.5, max(ep) + 0.5, color="0.9", zorder=0,
                       label="some runs at or past their best epoch")
        ax.axhline(0, color="k", lw=0.8)
        ax.set_ylim(-1.05, 1.05)
        ax.set_xlabel("epoch of the readout")
        ax.set_ylabel("Spearman ρ on held-out runs\n(median, middle 95% of splits)")
        ax.set_title(_TASK_NAMES[family])
    axes[0].legend(fontsize=8)
    if axes[1].get_legend_handles_labels()[0]:
        axes[1].legend(fontsize=8)
    return fig


@style.styled
def plot_search(results: dict, *, rung: int = 1, keep: float = 0.25, figsize=(11.0, 3.8)):
    """Successive halving with and without the spectrum readout: regret against epochs spent."""
    fig, axes = style.figure(1, 2, figsize=figsize)
    labels = {"none": "no early stopping",
              "spectrum": "sign rule (from the paper's correlation sign)",
              "spectrum_fit": "spectrum, calibrated readout",
              "val_loss": "validation loss", "random": "random"}
    for ax, family in zip(axes, ("char", "regression")):
        s = search_replay(results, family, rung=rung, keep=keep)
        width = s["settings"]["pool"] * s["settings"]["epochs"] * 0.012
        for j, ((name, lab), mk) in enumerate(zip(labels.items(), "osD^v")):
            v = s[name]    # rules that spend the same epochs drawn side by side
            x = v["epochs"] + (0 if name == "none" else (j - 2.5) * width)
            ax.errorbar(x, v["regret"], yerr=2 * v["regret_se"], marker=mk,
                        capsize=3, ls="none", label=lab)
        ax.set_xlabel("epochs trained per search (pruned rules side by side)")
        ax.set_ylabel(f"regret ± 2 s.e. over pools\n({_LOSS_UNITS[family]})")
        ax.set_title(f"{_TASK_NAMES[family]}: pools of {s['settings']['pool']}, rung {rung}, "
                     f"keep {keep:g}", fontsize=11)
    axes[0].legend(fontsize=8)
    return fig
