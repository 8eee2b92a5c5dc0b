"""The day-stepped Monte Carlo path (thinning: failures drawn ahead at the upper-bound rate,
kept with the share of the fleet operating) against the straightforward path it replaced
(one Poisson draw per replication, part and day: tests/mc_stepped_reference.py). The
sampling order differs, so they agree within sampling error, not draw for draw: on the
'available' basis, with a depot capacity, both at once, with random cutoff lengths, with
diversion, with part groups (the general availability path) and with cannibalisation."""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from tests.helpers import single_pool
from tests.mc_stepped_reference import reference_stepped
from tether._engine import mc_operating, mc_stepped, montecarlo
from tether._engine.arrays import Plan
from tether._plan import compile_scenario

KEYS = ("availability", "backorders")


def _plan(**over: Any) -> Plan:
    base: dict[str, Any] = {
        "units": 8,
        "demand_per_day": 0.4,
        "turnaround": 20,
        "spares": 5,
        "cutoffs": [{"supplier": "acme", "start_day": 10, "end_day": 40}],
        "horizon": 70,
        "extra_part": {
            "name": "b",
            "quantity": 2,
            "failure_rate": 0.01,
            "data_rights": True,
            "supplier_repair": {"supplier": "beta", "turnaround_days": 12.5},
            "domestic_repair": {"share": 0.3, "turnaround_days": 4},
        },
        "fleet": {"spares": {"item": 5, "b": 2}, "tempo_basis": "available"},
    }
    base.update(over)
    doc = single_pool(**base)
    return compile_scenario(doc, doc.scenario())


def _capped(plan: Plan, per_day: float = 1.0) -> Plan:
    cap = plan.route_capacity.copy()
    cap[:, 2] = np.where(plan.share[:, 2] > 0, per_day, np.inf)
    return replace(plan, route_capacity=cap)


def _both(
    plan: Plan, reps: int, monkeypatch: pytest.MonkeyPatch, **kw: Any
) -> tuple[montecarlo.MonteCarloOutput, montecarlo.MonteCarloOutput]:
    new = montecarlo.run_montecarlo(plan, reps, np.random.default_rng(11), keep_samples=[], **kw)
    with monkeypatch.context() as m:
        m.setattr(montecarlo, "outstanding_stepped", reference_stepped)
        old = montecarlo.run_montecarlo(
            plan, reps, np.random.default_rng(12), keep_samples=[], **kw
        )
    return new, old


def _assert_agree(a: montecarlo.MonteCarloOutput, b: montecarlo.MonteCarloOutput) -> None:
    for k in KEYS:
        se = np.hypot(a.stderr[k], b.stderr[k])
        z = np.abs(a.mean[k] - b.mean[k]) / np.maximum(se, 1e-9)
        assert z.max() < 4.5, (k, float(z.max()))
        # and the two are not trivially equal: the cutoff moves both
        assert np.ptp(a.mean[k][1]) > 0


CASES = {
    "available": lambda: _plan(),
    "capacity": lambda: _capped(_plan(fleet={"spares": {"item": 5, "b": 2}})),
    "available-and-capacity": lambda: _capped(_plan()),
    "random-lengths": lambda: _capped(
        _plan(
            cutoffs=[
                {
                    "supplier": "acme",
                    "start_day": 10,
                    "duration_days": {"distribution": "uniform", "low": 10, "high": 40},
                }
            ]
        )
    ),
    "divert": lambda: replace(
        _capped(
            _plan(
                cutoffs=[
                    {"supplier": "acme", "start_day": 10, "end_day": 40},
                    {"supplier": "beta", "start_day": 20, "end_day": 50},
                ]
            )
        ),
        divert=np.array([False, True]),
    ),
    "groups-and-stock": lambda: replace(
        _plan(),
        part_group=np.array([0, 0]),
        quantity=np.array([1.0, 1.0]),
        spares=np.array([4, 4]),
        row_from=np.array([0, 30]),
        row_until=np.array([30, 71]),
        st_row=np.array([0]),
        st_day=np.array([50]),
        st_add=np.array([3]),
    ),
    "units-change": lambda: replace(
        _plan(), un_fleet=np.array([0]), un_day=np.array([30]), un_add=np.array([-3.0])
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_thinning_agrees_with_the_daily_poisson_path(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = CASES[case]()
    assert montecarlo.stepped_fleets(plan).all()
    new, old = _both(plan, 1500, monkeypatch)
    _assert_agree(new, old)


@pytest.mark.parametrize("case", list(CASES))
def test_counted_candidates_agree_with_the_daily_poisson_path(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every row's candidates drawn as counts per replication, route, day and half-day
    and thinned binomially (:func:`mc_stepped._counted`, used for rows with many failures
    a day; here forced on every row): the same law as the straightforward path."""
    monkeypatch.setattr(mc_stepped, "DENSE_RATE", 0.0)
    plan = CASES[case]()
    new, old = _both(plan, 1500, monkeypatch)
    _assert_agree(new, old)


def test_thinning_agrees_with_cannibalisation(monkeypatch: pytest.MonkeyPatch) -> None:
    new, old = _both(_plan(), 1500, monkeypatch, cannibalise=True)
    _assert_agree(new, old)


def test_the_sparse_availability_equals_the_general_one() -> None:
    """The per-day share operating computed only where rows have backorders, and by
    table look-up (:func:`mc_operating.table_operating`), equals
    :func:`availability_from_backorders` on every row (with and without
    cannibalisation, Z of 1 to 3, a fleet with no units, a fleet's rows apart)."""
    rng = np.random.default_rng(3)
    units = np.array([4.0, 0.0, 7.0])
    quantity = np.array([1.0, 2.0, 1.0, 2.0, 3.0])
    fleets = np.array([0, 0, 1, 2, 2])
    spares = np.array([1, 0, 2, 3, 0])
    for size, cannibalise, fleet, how in itertools.product(
        (6, 400), (False, True), (fleets, fleets[[4, 0, 2, 1, 3]]), ("sparse", "table")
    ):  # 400 rows: the table's layout transposed (many rows, a window of days)
        out = rng.integers(0, 9, size=(size, 5)).astype(np.int32)
        out[:5] += 20  # past N Z: no unit up
        args = (units, quantity, fleet, spares, cannibalise)
        operating = (
            mc_operating.sparse_operating(*args)
            if how == "sparse"
            else mc_operating.table_operating(*args)
        )
        assert operating is not None
        fast, bo = operating(0, out)
        held = np.maximum(out - spares[None].astype(np.int32), 0)
        slow = montecarlo.availability_from_backorders(held, fleet, units, quantity, 3, cannibalise)
        np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-15)
        by_fleet = np.stack([held[:, fleet == k].sum(axis=1) for k in range(3)], axis=1)
        np.testing.assert_array_equal(bo, by_fleet)
        if size == 400:  # bit for bit the same whatever the number of rows
            few, _ = operating(0, out[:6])
            assert_array_equal(few, fast[:6])
    assert (fast == 0).any()
    monkey = mc_operating.TABLE_ENTRIES
    try:
        mc_operating.TABLE_ENTRIES = 10  # tables too large: the caller's other way
        assert mc_operating.table_operating(units, quantity, fleets, spares, False) is None
    finally:
        mc_operating.TABLE_ENTRIES = monkey


def test_same_seed_same_draws_and_blocks_of_days(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same seed gives the same draws; candidates drawn a few days at a time give
    the same distribution as all at once."""
    plan = _capped(_plan())
    a = montecarlo.run_montecarlo(plan, 400, np.random.default_rng(5), keep_samples=[])
    b = montecarlo.run_montecarlo(plan, 400, np.random.default_rng(5), keep_samples=[])
    for k in KEYS:
        assert_array_equal(a.mean[k], b.mean[k])
    whole = montecarlo.run_montecarlo(plan, 1500, np.random.default_rng(6), keep_samples=[])
    monkeypatch.setattr(mc_stepped, "FAILURE_BLOCK", 50)
    split = montecarlo.run_montecarlo(plan, 1500, np.random.default_rng(7), keep_samples=[])
    _assert_agree(whole, split)


def _two_fleets() -> Plan:
    """Two fleets on the 'available' basis, one turning its items round in 8 days, the
    other in 60: the first needs a burn-in of 24 days, the second of 180."""
    import yaml

    import tether

    def system(name: str, turnaround: float, rate: float) -> dict[str, Any]:
        part = {
            "name": "item",
            "failure_rate": rate,
            "supplier_repair": {"supplier": "acme", "turnaround_days": turnaround},
        }
        return {"name": name, "parts": [part]}

    def fleet(name: str, spares: int) -> dict[str, Any]:
        return {
            "name": name,
            "system": name,
            "area": "a",
            "units": 10,
            "hours_per_day": 1.0,
            "spares": {"item": spares},
            "tempo_basis": "available",
        }

    doc = {
        "suppliers": [{"name": "acme", "jurisdiction": "US"}],
        "systems": [system("fast", 8.0, 0.15), system("slow", 60.0, 0.03)],
        "forces": [
            {
                "name": "f",
                "operator": "EE",
                "areas": [{"name": "a"}],
                "fleets": [fleet("fast", 6), fleet("slow", 12)],
            }
        ],
        "scenarios": [
            {
                "name": "s",
                "force": "f",
                "horizon_days": 40,
                "cutoffs": [{"supplier": "acme", "start_day": 10, "end_day": 25}],
            }
        ],
    }
    loaded = tether.load_text(yaml.safe_dump(doc, sort_keys=False), "two.yaml")
    return compile_scenario(loaded, loaded.scenario())


def test_each_fleet_burns_in_on_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fleets are independent on the stepped path, so each is burned in for its own
    turnarounds (24 and 180 days here): the same distribution, within sampling error, as
    burning both in for the longer one (every day, both fleets, both members)."""
    from tether._engine import mc_parts

    plan = _two_fleets()
    rows = np.arange(len(plan.part_labels))
    assert list(mc_parts.burn_in_rows(plan, rows)) == [24, 180]
    own = montecarlo.run_montecarlo(plan, 3000, np.random.default_rng(21), keep_samples=[])
    monkeypatch.setattr(
        montecarlo,
        "burn_in_rows",
        lambda plan, rows: np.full(len(rows), mc_parts.burn_in_days(plan, rows)),
    )
    longest = montecarlo.run_montecarlo(plan, 3000, np.random.default_rng(22), keep_samples=[])
    _assert_agree(own, longest)


@pytest.mark.parametrize("spares", [0, 3, 12, 40])
def test_the_start_is_the_analytic_fixed_point(spares: int) -> None:
    """The stepped path's starting availability (regula falsi) is the analytic engine's
    steady-state fixed point (60 bisection steps), to 1e-12, from an easy fleet to one
    with no spares at all; fleets on the 'fleet' basis start at 1."""
    from tether._engine.analytic import steady_state
    from tether._engine.mc_parts import start_availability

    for plan in (
        _plan(fleet={"spares": {"item": spares, "b": 2}, "tempo_basis": "available"}),
        _two_fleets(),
    ):
        _, want = steady_state(plan)
        got = start_availability(plan)
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
        assert (got < 1).all()
    fixed = _plan(fleet={"spares": {"item": spares, "b": 2}})
    assert_array_equal(start_availability(fixed), np.ones(1))


@pytest.mark.parametrize("rows", [3, 40])
def test_the_table_leaves_the_items_out_alone(rows: int) -> None:
    """One part row (its transposed items out are a view of them): the shares are right
    and the items out passed in are not changed, for few rows and many."""
    operating = mc_operating.table_operating(
        np.array([10.0]), np.array([1.0]), np.array([0]), np.array([14]), False
    )
    assert operating is not None
    out = np.random.default_rng(0).poisson(16, size=(rows, 1)).astype(np.int32)
    before = out.copy()
    share, held = operating(0, out)
    assert_array_equal(out, before)
    assert_array_equal(held[:, 0], np.maximum(before[:, 0] - 14, 0))
    np.testing.assert_allclose(share[:, 0], (10 - held[:, 0]).clip(0) / 10, rtol=1e-15)


def test_counted_candidates_have_the_rate_and_the_half_days() -> None:
    """Counts per route and half-day: their totals are Poisson with the upper-bound rate
    times the route's share (times 1 - phi or phi for the half-days of a turnaround
    ``n + phi``), within 4 standard errors, and each half-day's instant is inside it."""
    plan = _plan()
    rows = np.arange(len(plan.part_labels))
    span = np.array([[3.0] * 5, [2.0] * 5])  # failures a day of each row
    _, p, _, xi, route, n = mc_stepped._counted(
        plan, rows, span, np.array([0, 1]), 4000, np.random.default_rng(4)
    )
    assert n.min() >= 1
    for row in rows:
        for r in range(3):
            share = plan.share[row, r]
            tau = plan.route_time[row, r]
            phi = tau - np.floor(tau)
            mine = (p == row) & (route == r)
            if share == 0:
                assert not mine.any()
                continue
            late = mine & (xi > 1 - phi)
            for got, w in ((n[mine].sum(), 1.0), (n[late].sum(), phi)):
                want = 4000 * span[row].sum() * share * w
                assert abs(got - want) <= 4 * np.sqrt(max(want, 1.0)), (row, r, got, want)
            assert np.all(np.ceil(xi[mine] + phi) == np.where(late[mine], 2, 1))


@pytest.mark.parametrize("cells", [400_000, 2_000])
@pytest.mark.parametrize("cannibalise", [False, True])
def test_days_solved_by_windows_equal_the_day_by_day_loop(
    cells: int, cannibalise: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The days solved a window at a time (:mod:`tether._engine.mc_relax`, one window or
    many) give exactly the day-by-day loop's result with the same seed, every day."""
    from tether._engine import mc_relax

    plan = _two_fleets()
    orig = montecarlo.outstanding_stepped

    def by_day(*a: Any, **k: Any) -> Any:
        return orig(*a, **{**k, "flat": False})

    def solve() -> montecarlo.MonteCarloOutput:
        return montecarlo.run_montecarlo(
            plan, 300, np.random.default_rng(8), keep_samples=[], cannibalise=cannibalise
        )

    monkeypatch.setattr(mc_relax, "RELAX_CELLS", cells)
    calls = []
    orig_relax = mc_relax.relax_days
    monkeypatch.setattr(mc_relax, "relax_days", lambda *a: calls.append(1) or orig_relax(*a))
    windows = solve()
    assert calls
    monkeypatch.setattr(montecarlo, "outstanding_stepped", by_day)
    days = solve()
    for k in KEYS:
        assert_array_equal(windows.mean[k], days.mean[k])
        assert np.ptp(days.mean[k][1]) > 0


@pytest.mark.parametrize("case", ["capacity", "random-lengths"])
def test_queues_in_closed_form_equal_the_daily_induction(case: str) -> None:
    """The depots' queues over many days at once (Lindley's recursion in closed form,
    :meth:`mc_stepped._Queues.run_days`, in one piece or two) give exactly the returns and
    the backlog of inducting and joining day after day, burn-in days included, with
    clocks shared by every replication or one per replication."""
    from tether._engine.mc_clock import build_clocks, sample_cuts

    plan = _capped(CASES[case](), per_day=1.0)
    reps, burn, P = 30, 25, len(plan.part_labels)
    rng = np.random.default_rng(2)
    cut, _ = sample_cuts(plan, 1, reps, rng)
    clocks = build_clocks(plan, cut)
    n_exits = burn + plan.horizon + 2
    daily = mc_stepped._Queues(plan, np.arange(P), clocks, reps, burn, n_exits)
    D = burn + plan.horizon
    joins = rng.poisson(1.3, size=(D, reps, len(daily.part))).astype(np.int64)
    want = np.zeros(n_exits * reps * P, dtype=np.int32)
    for i in range(D):
        daily.induct(i - burn, want, P)
        daily.queue += joins[i].T  # queues are kept [L, R]
    for pieces in ([D], [40, D - 40]):
        closed = mc_stepped._Queues(plan, np.arange(P), clocks, reps, burn, n_exits)
        got = np.zeros_like(want)
        i0 = 0
        for n in pieces:
            closed.run_days(i0, joins[i0 : i0 + n], got, P)
            i0 += n
        assert_array_equal(got, want)
        assert_array_equal(closed.queue, daily.queue)
    assert want.sum() > 0


def test_queues_day_after_day_for_many_cells_equal_the_closed_form(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where a day has many replication x queue cells the queues are inducted day after
    day instead: the same result, draw for draw ('fleet' basis, random cutoff lengths)."""
    plan = _capped(
        _plan(
            fleet={"spares": {"item": 5, "b": 2}},
            cutoffs=[
                {
                    "supplier": "acme",
                    "start_day": 10,
                    "duration_days": {"distribution": "uniform", "low": 10, "high": 40},
                }
            ],
        )
    )
    assert not plan.available_basis.any()
    closed = montecarlo.run_montecarlo(plan, 300, np.random.default_rng(3), keep_samples=[])
    monkeypatch.setattr(mc_stepped, "QUEUE_WIDTH", 0)
    daily = montecarlo.run_montecarlo(plan, 300, np.random.default_rng(3), keep_samples=[])
    for k in KEYS:
        assert_array_equal(closed.mean[k], daily.mean[k])


def _one_pass(
    plan: Plan,
    rows: Any,
    scale: Any,
    lam_ss: Any,
    operating: Any,
    column: Any,
    clocks: Any,
    reps: int,
    rng: np.random.Generator,
    burn: int = 0,
    divert: Any = None,
    row_burn: Any = None,
    flat: bool = False,
    shared: Any = None,
) -> Any:
    """The stepped path with the burn-in and the horizon in one pass: items back after
    day 0 read on the member's clocks as they are drawn, no state kept at day 0."""
    rate = mc_stepped._daily_rate(scale, burn, plan.horizon, row_burn)
    steps = mc_stepped._Steps(
        plan, rows, rate, operating, column, clocks, reps, rng, burn, divert, flat
    )
    return steps.whole(lam_ss, row_burn)


@pytest.mark.parametrize(
    "case", ["available", "available-and-capacity", "random-lengths", "divert", "units-change"]
)
def test_the_burn_in_on_its_own_equals_one_pass(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The burn-in stepped on its own (items still out at its end kept by route and
    clock-days still needed, then read on each member's clocks; depots' backlogs carried
    over) gives exactly the one-pass path's result with the same seed, every day, when
    each member burns in on its own."""
    plan = CASES[case]()
    monkeypatch.setattr(montecarlo, "SHARED_BYTES", 0)  # a burn-in per member

    def solve() -> montecarlo.MonteCarloOutput:
        return montecarlo.run_montecarlo(plan, 200, np.random.default_rng(9), keep_samples=[])

    split = solve()
    monkeypatch.setattr(montecarlo, "outstanding_stepped", _one_pass)
    whole = solve()
    for k in KEYS:
        assert_array_equal(split.mean[k], whole.mean[k])
        assert np.ptp(whole.mean[k][1]) > 0


@pytest.mark.parametrize("step", [None, 300])
def test_batch_members_share_one_burn_in(step: int | None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Members agree before day 0, so one burn-in per chunk serves them all (in one
    chunk or several): day 0 is then the same in the baseline and the scenario,
    replication by replication, and the law is that of a burn-in each, within sampling
    error."""
    plan = CASES["available-and-capacity"]()  # the cutoff starts on day 10
    if step is not None:
        monkeypatch.setattr(montecarlo, "chunk_size", lambda plan, reps: step)

    def solve(seed: int) -> montecarlo.MonteCarloOutput:
        return montecarlo.run_montecarlo(plan, 1500, np.random.default_rng(seed), keep_samples=[])

    shared = solve(31)
    for k in KEYS:
        assert_array_equal(shared.mean[k][0, :, 0], shared.mean[k][1, :, 0])
        assert_array_equal(shared.stderr[k][0, :, 0], shared.stderr[k][1, :, 0])
    monkeypatch.setattr(montecarlo, "SHARED_BYTES", 0)
    own = solve(32)
    assert not np.array_equal(own.mean["backorders"][0, :, 0], own.mean["backorders"][1, :, 0])
    _assert_agree(shared, own)
