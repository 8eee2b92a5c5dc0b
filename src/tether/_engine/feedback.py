"""The 'available' tempo basis with the count's distribution carried day by day (pure numpy).

On this basis a unit that is down does not fail, so demand depends on the number of
items out. Feeding only the expected availability back into demand (a mean field) keeps
each pipeline Poisson, while the feedback makes it less dispersed. Here each part row's
count out ``X_t`` is carried as a distribution and stepped from instant ``t`` to
``t + 1``:

    X_{t+1} = Binomial(X_t, 1 - q_t) + Poisson(p_t * mu_t(X_t))

- ``mu_t(x) = c_t * g_t * up(x)``: failures on day ``t`` of the row at full tempo ``c_t``
  (``N Z rate hours``), times the share of its units up given ``x`` items out
  (``up(x)``, the positions filled: ``prod_{j<Z} (NZ - b - j) / (NZ - j)``, ``b`` the
  backorders) and ``g_t`` the expected share up over the fleet's other rows (rows taken as
  independent, as in the engine's product of shares).
- ``q_t``: the share of the items out at ``t`` back by ``t + 1``; ``p_t``: the share of
  day ``t``'s failures (uniform within the day) still out at ``t + 1``. Both come from the
  route clocks (``u*_r``, :mod:`tether._engine.pipeline`) and the expected failures so far:
  with no feedback the step gives the exact Poisson marginals (Poisson thinned and added to
  Poisson), and while a route's clock stands still (a supplier cut) nothing comes back, so
  a single route cut for good is an exact pure-birth process from the cut on.
- Before day 0 the rows are in the stationary distribution of the chain at day 0's tempo,
  clocks running (the fixed point of the fleet coupling: first over the birth-death law
  ``pi(x + 1) / pi(x) = mu(x) tbar / (x + 1)``, then each row's stationary vector of the
  daily chain by a linear solve on the window that holds its mass).

Every row of an 'available'-basis fleet is carried, whatever the cut (so every batch member
uses the same method and a scenario equals its baseline until its first cut). A row's law
is held on a sliding window ``[lo, lo + K)`` (trimmed where the tail mass is below
:data:`TRIM`), and a day's step costs ``O(K B)``: for each count ``x`` the law of the next
count given ``x`` (binomial thinning plus Poisson arrivals) lies in a band of ``B`` counts
(10 standard deviations plus 10 each side of its mean), computed through its generating
function on ``B`` roots of unity, then added into the next law at the band's offset.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tether._engine.arrays import Plan
from tether._engine.pipeline import Clock, ReturnIndex, return_index
from tether._engine.poisson import backorders_and_up

__all__ = ["Force", "constant", "parts_available"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Fixed-point iterations of the fleet coupling in the stationary start.
START_ITERATIONS = 200

#: Tolerance of the stationary start's fixed point.
START_TOL = 1e-14

#: Below this change of the coupling, one that no longer halves is at rounding's floor.
FLOOR = 1e-11

#: Rows whose count at day 0's tempo reaches past this many keep the mean field.
KMAX = 1000

#: Tail mass dropped at either end of a row's window after each step.
TRIM = 1e-20

#: Half-width of a band (and margin of a window) in standard deviations, plus as many counts.
SPREAD = 10.0

#: Log-probability below the mode at which the stationary start's window is cut.
TAIL = 50.0

#: Largest change (law, thinning, arrivals) between two days at which a row's law is a
#: fixed point and is not stepped again.
SAME = 1e-15

#: Complex cells (rows x counts x band) per block of a day's step.
BLOCK_CELLS = 1_000_000

Groups = list[tuple[int, I64, ReturnIndex]]


def route_groups(plan: Plan, clocks: list[Clock], cid: I64, rows: I64) -> Groups:
    """For parts ``rows``: per (route, clock) group, the part positions and their u*(t)."""
    out: Groups = []
    for r in range(plan.share.shape[1]):
        active = plan.share[rows, r] > 0
        for c in np.unique(cid[rows[active], r]):
            pos = np.flatnonzero(active & (cid[rows, r] == c))
            out.append((r, pos, return_index(clocks[c], plan.route_time[rows[pos], r])))
    return out


def _up_share(x: F64, spares: F64, n: F64, z: F64) -> F64:
    """Share of units up ``[P, K]`` given ``x [P, K]`` items out: every position filled."""
    b = np.maximum(x - spares[:, None], 0.0)
    nz = (n * z)[:, None]
    free = nz - b
    h = np.maximum(free, 0.0) / nz
    for j in range(1, int(z.max()) if len(z) else 1):
        more = j < z[:, None]
        h = np.where(more, h * np.maximum(free - j, 0.0) / np.maximum(nz - j, 1.0), h)
    return h


def _bands(x: F64, q: F64, a: F64, width: int) -> tuple[F64, I64]:
    """Law of ``Binomial(x, 1 - q) + Poisson(a)`` for counts ``x [n, K]``, rates
    ``a [n, K]`` and shares ``q [n]``: ``width`` probabilities from each offset
    ``o [n, K]`` (returns ``(band [n, K, width], o)``)."""
    qq = q[:, None]
    mean = x * (1.0 - qq) + a
    half = (width - 1) // 2
    o = np.maximum(np.floor(mean) - half, 0.0).astype(np.int64)
    ell = np.arange(width)
    w = np.exp(-2j * np.pi * ell / width)
    base = q[:, None] + (1.0 - q[:, None]) * w[None, :]  # [n, B]
    logb = np.log(np.where(base == 0, 1e-300, base))
    phase = 2j * np.pi / width
    out = np.empty((*x.shape, width))
    step = max(1, BLOCK_CELLS // max(1, x.shape[1] * width))
    for lo in range(0, x.shape[0], step):
        s = slice(lo, lo + step)
        expo = x[s, :, None] * logb[s, None, :]
        expo += a[s, :, None] * (w - 1.0)[None, None, :]
        expo += phase * ((o[s, :, None] * ell[None, None, :]) % width)
        got = np.fft.ifft(np.exp(expo), axis=2).real
        np.maximum(got, 0.0, out=got)
        out[s] = got
    return out, o


def _width(x: F64, q: F64, a: F64, live: NDArray[np.bool_]) -> int:
    """Band width covering every live count's next law (``SPREAD`` sd and counts each side)."""
    var = x * (q * (1.0 - q))[:, None] + a
    v = float(np.where(live, var, 0.0).max()) if live.size else 0.0
    half = int(np.ceil(SPREAD * np.sqrt(v) + SPREAD))
    return 2 * half + 2


def _step(pi: F64, lo: I64, q: F64, a: F64) -> tuple[F64, I64]:
    """One day for rows ``pi [n, K]`` held from counts ``lo [n]``, with ``a [n, K]`` the
    Poisson arrivals' mean at each count: ``Binomial(X, 1 - q) + Poisson(a(X))``."""
    n, K = pi.shape
    x = (lo[:, None] + np.arange(K)[None, :]).astype(np.float64)
    live = pi > 0
    width = _width(x, q, a, live)
    band, o = _bands(x, q, a, width)
    big = np.iinfo(np.int64).max
    start = np.where(live, o, big).min(axis=1)
    start = np.where(start == big, 0, start)
    stop = np.where(live, o, 0).max(axis=1) + width
    size = int((stop - start).max())
    o = np.where(live, o, start[:, None])  # counts without mass: anywhere inside
    idx = (o - start[:, None])[:, :, None] + np.arange(width)[None, None, :]
    idx += (np.arange(n) * size)[:, None, None]
    weights = (pi[:, :, None] * band).ravel()
    got = np.bincount(idx.ravel(), weights=weights, minlength=n * size)
    return _trim(np.asarray(got, dtype=np.float64).reshape(n, size), start)


def _trim(pi: F64, lo: I64) -> tuple[F64, I64]:
    """Normalise, drop tails below :data:`TRIM` at both ends, repack to a common width."""
    pi = pi / np.maximum(pi.sum(axis=1, keepdims=True), 1e-300)
    K = pi.shape[1]
    c = np.cumsum(pi, axis=1)
    first = np.argmax(c > TRIM, axis=1)
    r = np.cumsum(pi[:, ::-1], axis=1)
    last = K - 1 - np.argmax(r > TRIM, axis=1)
    keep = int(np.maximum(last - first + 1, 1).max())
    cols = first[:, None] + np.arange(keep)[None, :]
    inside = cols <= last[:, None]
    out = np.where(inside, np.take_along_axis(pi, np.minimum(cols, K - 1), axis=1), 0.0)
    out /= np.maximum(out.sum(axis=1, keepdims=True), 1e-300)
    return out, lo + first


def _stationary_window(lo: int, K: int, q: float, a_of: F64) -> F64:
    """Stationary law on counts ``lo .. lo + K - 1`` of the daily chain with thinning
    ``q`` and arrivals ``a_of [K]`` (mass leaving the window is put back at its edges)."""
    x = (lo + np.arange(K, dtype=np.float64))[None, :]
    live = np.ones((1, K), dtype=np.bool_)
    width = _width(x, np.array([q]), a_of[None], live)
    band, o = _bands(x, np.array([q]), a_of[None], width)
    cols = o[0][:, None] - lo + np.arange(width)[None, :]
    cols = np.clip(cols, 0, K - 1)
    tm = np.zeros((K, K))
    np.add.at(tm, (np.repeat(np.arange(K), width), cols.ravel()), band[0].ravel())
    tm /= np.maximum(tm.sum(axis=1, keepdims=True), 1e-300)
    m = tm.T - np.eye(K)
    m[-1, :] = 1.0
    rhs = np.zeros(K)
    rhs[-1] = 1.0
    pi = np.linalg.solve(m, rhs)
    np.maximum(pi, 0.0, out=pi)
    out: F64 = pi / pi.sum()
    return out


def _birth_death(lam: F64, tbar: float, up: F64) -> F64:
    """Log of the unnormalised birth-death law ``prod_{k<x} lam up(k) tbar / (k + 1)``."""
    k = np.arange(len(up), dtype=np.float64)
    with np.errstate(divide="ignore"):
        terms = np.log(lam * tbar * up[:-1]) - np.log(k[:-1] + 1.0)
    out: F64 = np.concatenate([[0.0], np.cumsum(terms)])
    return out


def _fleet_log(values: F64, fleet: I64, nf: int) -> F64:
    out = np.zeros(nf)
    np.add.at(out, fleet, values)
    return out


@dataclass(frozen=True)
class Force:
    """A force that changes over time, per carried row and day ``[P, T]``: the units of
    its fleet ``units``, its stock ``spares``, its failures a day at full tempo ``rate``
    (0 outside the row's window), and ``rate_pre [P]`` before day 0."""

    units: F64
    spares: F64
    rate: F64
    rate_pre: F64


def constant(plan: Plan, rows: I64) -> Force:
    """The plan's unchanging force for ``rows``."""
    f = plan.part_fleet[rows]
    T = plan.horizon + 1
    n = np.repeat(plan.units[f].astype(np.float64)[:, None], T, axis=1)
    s = np.repeat(plan.spares[rows].astype(np.float64)[:, None], T, axis=1)
    c = (plan.units[f] * plan.quantity[rows] * plan.failure_rate[rows])[:, None] * plan.hours[f]
    return Force(n, s, c, c[:, 0].copy())


class _Rows:
    """Per-row constants of the carried rows."""

    def __init__(self, plan: Plan, rows: I64, force: Force) -> None:
        self.f = plan.part_fleet[rows]
        self.n = force.units
        self.n_safe = np.where(self.n > 0, self.n, 1.0)
        self.z = plan.quantity[rows].astype(np.float64)
        self.spares = force.spares
        self.c = force.rate
        self.c_pre = force.rate_pre
        # no count past this one fails on day 0: every position of every unit is empty
        self.top = np.ceil(self.spares[:, 0] + self.n_safe[:, 0] * self.z).astype(np.int64)

    def up(self, sel: I64, x: F64, t: int) -> F64:
        """Share of units up on day ``t`` given ``x [n, K]`` items out of rows ``sel``."""
        u = _up_share(x, self.spares[sel, t], self.n_safe[sel, t], self.z[sel])
        out: F64 = np.where((self.n[sel, t] <= 0)[:, None], 1.0, u)
        return out

    def key(self, sel: I64, t: int) -> bytes:
        """What the shares up of rows ``sel`` depend on besides the counts, on day ``t``."""
        out: bytes = self.n[sel, t].tobytes() + self.spares[sel, t].tobytes()
        return out


def _start(
    rw: _Rows, q0: F64, p0: F64, tbar: F64, log_fixed0: F64, nf: int, big: NDArray[np.bool_]
) -> tuple[list[F64], I64, F64]:
    """Stationary laws at day 0's tempo (fixed point of the fleet coupling): the laws,
    their window starts, and the expected share up of each row."""
    P = len(rw.f)
    g = np.ones(P)
    e_up = np.ones(P)
    small = [i for i in range(P) if not big[i]]
    ups = {i: rw.up(np.array([i]), np.arange(int(rw.top[i]) + 2.0)[None], 0)[0] for i in small}

    def couple(e: F64) -> F64:
        e = np.maximum(e, 1e-300)
        a_f = np.exp(_fleet_log(np.log(e), rw.f, nf) + log_fixed0)
        out: F64 = a_f[rw.f] / e
        return out

    def birth_death(g: F64) -> tuple[F64, list[F64]]:
        logs = [np.zeros(1)] * P
        e = np.empty(P)
        for i in small:
            logs[i] = _birth_death(rw.c_pre[i] * g[i], tbar[i], ups[i])
            w = np.exp(logs[i] - logs[i].max())
            e[i] = (w * ups[i]).sum() / w.sum()
        if big.any():  # Poisson pipelines (mean field)
            e[big] = _poisson_up(rw, big, rw.c_pre[big] * g[big] * tbar[big], 0)[1]
        return e, logs

    def settle(g: F64, delta: F64) -> tuple[F64, list[F64]]:
        """Fixed point of the coupling with the birth-death shares up plus ``delta``."""
        logs: list[F64] = []
        change, weight = np.inf, 1.0
        for _ in range(START_ITERATIONS * 5):
            e, logs = birth_death(g)
            g_new = couple(np.clip(e + delta, 1e-300, 1.0))
            now = float(np.abs(g_new - g).max())
            if now <= START_TOL or FLOOR > now > 0.5 * change:  # settled, or at the floor
                g = g_new
                break
            if now >= change:  # a strong coupling overshoots: damp the iteration
                weight *= 0.5
            g = g + weight * (g_new - g)
            change = now
        return g, logs

    g, logs = settle(np.ones(P), np.zeros(P))
    # windows from the birth-death law, with a margin; then the daily chain's own law
    lo = np.zeros(P, dtype=np.int64)
    size = np.ones(P, dtype=np.int64)
    for i in small:
        where = np.flatnonzero(logs[i] >= logs[i].max() - TAIL)
        a, b = int(where[0]), int(where[-1])
        # past the birth-death law's last count, one day's arrivals can still go on
        jump = int(np.ceil(SPREAD * np.sqrt(p0[i] * rw.c_pre[i]) + SPREAD))
        lo[i] = max(a - int(SPREAD), 0)
        size[i] = b + jump - lo[i] + 1
    # the daily chain's shares up differ from the birth-death ones by a nearly constant
    # offset: solve, correct the coupling by the offset, solve again until it holds
    pis: list[F64] = [np.ones(1)] * P
    solved = np.full(P, np.nan)  # the coupling each row's law was solved at
    change = np.inf
    for _ in range(START_ITERATIONS):
        for i in map(int, np.flatnonzero(~(np.abs(g - solved) <= START_TOL) & ~big)):
            x = lo[i] + np.arange(size[i], dtype=np.float64)
            up = rw.up(np.array([i]), x[None], 0)[0]
            pis[i] = _stationary_window(
                int(lo[i]), int(size[i]), q0[i], p0[i] * rw.c_pre[i] * g[i] * up
            )
            e_up[i] = min(float((pis[i] * up).sum()), 1.0)
            solved[i] = g[i]
        if big.any():
            e_up[big] = birth_death(g)[0][big]
        g_new = couple(e_up)
        # settled, or at rounding's floor (no longer halving)
        now = float(np.abs(g_new - g).max())
        if now <= START_TOL or FLOOR > now > 0.5 * change:
            break
        change = now
        g, _ = settle(g, e_up - birth_death(g)[0])
    return pis, lo, e_up


def _poisson_up(rw: _Rows, sel: NDArray[np.bool_], m: F64, t: int) -> tuple[F64, F64]:
    """Backorders and share up of rows ``sel`` whose count is Poisson with mean ``m``."""
    spares = rw.spares[sel, t].astype(np.int64)
    back, up = backorders_and_up(m[:, None], spares, rw.n_safe[sel, t], rw.z[sel])
    out: F64 = np.where(rw.n[sel, t] <= 0, 1.0, up[:, 0])
    return back[:, 0], out


def _classes(sizes: I64) -> list[I64]:
    """Rows grouped by the size of their window (powers of two), so that padding one
    class's laws to a common width wastes little."""
    key = np.ceil(np.log2(np.maximum(sizes, 1))).astype(np.int64)
    return [np.flatnonzero(key == k) for k in np.unique(key)]


def _pack(pis: list[F64], lo: I64, sel: I64) -> tuple[F64, I64]:
    K = max(len(pis[i]) for i in sel)
    out = np.zeros((len(sel), K))
    for j, i in enumerate(sel):
        out[j, : len(pis[i])] = pis[i]
    return out, lo[sel].copy()


Inputs = tuple[F64, I64, F64, F64]


def _moved(before: Inputs | None, pi: F64, lo: I64, q: F64, a: F64) -> NDArray[np.bool_]:
    """Rows whose step must be taken: their law, thinning or arrivals changed by more than
    :data:`SAME` since the previous day's step (which then moved the law by at most that).
    """
    every = np.ones(len(lo), dtype=np.bool_)
    if before is None:
        return every
    pi0, lo0, q0, a0 = before
    if pi0.shape != pi.shape:
        return every
    out: NDArray[np.bool_] = (
        (lo0 != lo)
        | (np.abs(q0 - q) > SAME)
        | (np.abs(a0 - a).max(axis=1) > SAME * np.maximum(a.max(axis=1), 1.0))
        | (np.abs(pi0 - pi).max(axis=1) > SAME)
    )
    return out


def _merge(pi: F64, lo: I64, moved: NDArray[np.bool_], got: tuple[F64, I64]) -> tuple[F64, I64]:
    """Rows ``moved`` of ``(pi, lo)`` replaced by their stepped laws ``got``."""
    new, new_lo = got
    K = max(pi.shape[1], new.shape[1])
    out = np.zeros((len(lo), K))
    out[~moved, : pi.shape[1]] = pi[~moved]
    out[moved, : new.shape[1]] = new
    lo = lo.copy()
    lo[moved] = new_lo
    return out, lo


def parts_available(
    plan: Plan, rows: I64, groups: Groups, log_fixed: F64, force: Force | None = None
) -> tuple[F64, F64, F64]:
    """Log share up, backorders and availability ``[F, T]`` for the part rows ``rows`` of
    'available'-basis fleets (every row of those fleets), given the route groups of
    ``rows`` (``(route, positions, u*)``), the other rows' log availability
    ``log_fixed [F, T]`` and, for a force that changes, its units, stock and demand."""
    nf, T = len(plan.fleets), plan.horizon + 1
    P = len(rows)
    rw = _Rows(plan, rows, constant(plan, rows) if force is None else force)
    f, c = rw.f, rw.c
    R = plan.share.shape[1]
    share = plan.share[rows]
    ustar = np.zeros((P, R, T))
    for r, pos, ri in groups:
        ustar[pos, r] = np.where(ri.idx >= 0, ri.idx + ri.frac, ri.before)
    tau = plan.route_time[rows]

    # stationary start at day 0's tempo, clocks running
    p0 = (share * np.minimum(tau, 1.0)).sum(axis=1)
    tbar = (share * tau).sum(axis=1)
    q0 = np.where(tbar > 0, p0 / np.where(tbar > 0, tbar, 1.0), 1.0)
    # rows whose count reaches beyond KMAX (at day 0's tempo, whatever the cut) keep a
    # Poisson pipeline fed the expected availability (the mean field), for cost
    mean0 = rw.c_pre * tbar
    big = mean0 + SPREAD * np.sqrt(mean0) > KMAX
    pis, lo_all, e_up = _start(rw, q0, p0, tbar, log_fixed[:, 0], nf, big)
    a0 = np.exp(_fleet_log(np.log(np.maximum(e_up, 1e-300)), f, nf) + log_fixed[:, 0])
    lam_pre = rw.c_pre * a0[f]
    sizes = np.array([len(pi) for pi in pis], dtype=np.int64)
    classes = [sel[~big[sel]] for sel in _classes(sizes)]
    classes = [sel for sel in classes if len(sel)]
    m_big = lam_pre[big] * tbar[big]
    held = [_pack(pis, lo_all, sel) for sel in classes]

    log_a, bo, avail = np.zeros((nf, T)), np.zeros((nf, T)), np.zeros((nf, T))
    lam = np.zeros((P, T + 1))
    cum = np.zeros((P, T + 1))
    back_t = np.zeros(P)
    last: list[Inputs | None] = [None] * len(classes)
    empty = np.zeros((0, 0))
    window: list[tuple[tuple[int, bytes], F64, F64]] = [((-1, b""), empty, empty)] * len(classes)
    for t in range(T):
        ups = []
        for k, (sel, (pi, lo)) in enumerate(zip(classes, held, strict=True)):
            key = (pi.shape[1], lo.tobytes() + rw.key(sel, t))
            if key != window[k][0]:  # the shares up and backorders on the window's counts
                x = (lo[:, None] + np.arange(pi.shape[1])[None, :]).astype(np.float64)
                short = np.maximum(x - rw.spares[sel, t, None], 0.0)
                window[k] = (key, rw.up(sel, x, t), short)
            _, up, short = window[k]
            ups.append(up)
            e_up[sel] = np.minimum((pi * up).sum(axis=1), 1.0)
            back_t[sel] = (pi * short).sum(axis=1)
        if big.any():
            back_t[big], e_up[big] = _poisson_up(rw, big, m_big, t)
        log_a[:, t] = _fleet_log(np.log(np.maximum(e_up, 1e-300)), f, nf)
        bo[:, t] = _fleet_log(back_t, f, nf)
        a_t = np.exp(log_a[:, t] + log_fixed[:, t])
        avail[:, t] = a_t
        g = np.where(e_up > 0, a_t[f] / np.maximum(e_up, 1e-300), 0.0)
        lam[:, t] = c[:, t] * a_t[f]
        if t + 1 == T:
            break
        cum[:, t + 1] = cum[:, t] + lam[:, t]
        u0, u1 = ustar[:, :, t], ustar[:, :, t + 1]
        at0 = _at(cum, lam, lam_pre, u0)
        now = (share * (cum[:, t, None] - at0)).sum(axis=1)
        back = np.maximum(_at(cum, lam, lam_pre, np.minimum(u1, float(t))) - at0, 0.0)
        old = (share * back).sum(axis=1)
        q = np.clip(np.where(now > 0, old / np.where(now > 0, now, 1.0), 1.0), 0.0, 1.0)
        p = np.clip((share * (t + 1.0 - np.maximum(u1, float(t)))).sum(axis=1), 0.0, 1.0)
        if big.any():
            m_big = m_big * (1.0 - q[big]) + p[big] * lam[big, t]
        for k, sel in enumerate(classes):
            pi, lo = held[k]
            arrivals = (p[sel] * c[sel, t] * g[sel])[:, None] * ups[k]
            moved = _moved(last[k], pi, lo, q[sel], arrivals)
            last[k] = (pi, lo, q[sel], arrivals)
            if moved.all():
                held[k] = _step(pi, lo, q[sel], arrivals)
            elif moved.any():  # laws that stay put: the step leaves them where they are
                got = _step(pi[moved], lo[moved], q[sel][moved], arrivals[moved])
                held[k] = _merge(pi, lo, moved, got)
    return log_a, bo, avail


def _at(cum: F64, lam: F64, lam_pre: F64, u: F64) -> F64:
    """``Lambda(u) [P, R]`` from cumulative demand ``cum`` and daily rates ``lam``
    (``[P, D]``, linear within a day, ``lam_pre * u`` before 0)."""
    k = np.clip(np.floor(u), 0, lam.shape[1] - 1).astype(np.int64)
    i = np.arange(len(u))[:, None]
    got = cum[i, k] + (u - k) * lam[i, k]
    out: F64 = np.where(u < 0, lam_pre[:, None] * u, got)
    return out
