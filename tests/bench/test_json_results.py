"""Every benchmark's `--json`: one line, one JSON object, `{"benchmark", "commit", "results"}`,
each result `{"value", "unit", "target", "pass"}`, so runs can be compared one with another.

The shared helper (bench._report) gives the shape; each benchmark turns what it measured into
named results with the verdicts its report marks. Here the measurements are small and made by
hand: no benchmark is run.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from rich.console import Console

from bench import _cpu, _report, _workers, api, burst, connect, ingest, metrics, readiness
from bench.agent_eval import __main__ as agent_eval
from bench.site_budget import __main__ as site_budget
from bench.site_budget.graph import PageWeight, Script

Results = dict[str, dict[str, Any]]


def cpu(wall: float = 1.0) -> _cpu.CpuSample:
    return _cpu.CpuSample(0.0, 0.0, 0.0, {}, wall)


def assert_documented_shape(results: Results) -> None:
    """snake_case names; value, unit, target, pass; no verdict without a target; strict JSON."""
    for name, r in results.items():
        assert re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)*", name), name
        assert list(r) == ["value", "unit", "target", "pass"], name
        assert r["value"] is None or isinstance(r["value"], int | float), name
        assert isinstance(r["unit"], str) and r["unit"], name
        if r["target"] is None:
            assert r["pass"] is None, name
        else:
            assert r["pass"] in (True, False, None), name
    json.dumps(results, allow_nan=False)


def verdicts(results: Results) -> dict[str, bool | None]:
    """The results that have a target, and their verdicts."""
    return {name: r["pass"] for name, r in results.items() if r["target"] is not None}


def values(results: Results) -> dict[str, Any]:
    return {name: r["value"] for name, r in results.items()}


# --- the shared helper ---------------------------------------------------------------------------


def test_a_result_carries_its_value_unit_target_and_verdict() -> None:
    assert _report.result(12.345678, "ms", 50.0, True) == {
        "value": 12.3457,
        "unit": "ms",
        "target": 50.0,
        "pass": True,
    }
    assert _report.result(7, "count", 0, False) == {
        "value": 7,
        "unit": "count",
        "target": 0,
        "pass": False,
    }
    assert _report.result(1.25, "ms", digits=1)["value"] == 1.2


def test_a_result_without_a_target_has_no_verdict() -> None:
    assert _report.result(0.9, "share") == {
        "value": 0.9,
        "unit": "share",
        "target": None,
        "pass": None,
    }
    assert _report.result(0.9, "share", None, True)["pass"] is None


@pytest.mark.parametrize("missing", [math.nan, math.inf, -math.inf, None])
def test_a_value_not_measured_is_null_not_nan(missing: float | None) -> None:
    r = _report.result(missing, "ms", 30.0, False)
    assert r == {"value": None, "unit": "ms", "target": 30.0, "pass": False}
    json.dumps(r, allow_nan=False)


def test_the_line_names_the_benchmark_and_the_commit_measured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[tuple[str, ...]] = []

    def version(paths: tuple[str, ...]) -> str:
        asked.append(tuple(paths))
        return "abc1234 + uncommitted changes"

    monkeypatch.setattr(_report, "code_version", version)
    results = {"p95": _report.result(math.nan, "ms", 50.0, False)}
    line = _report.json_line("api", results, ("shared",))

    assert "\n" not in line
    assert json.loads(line) == {
        "benchmark": "api",
        "commit": "abc1234 + uncommitted changes",
        "results": {"p95": {"value": None, "unit": "ms", "target": 50.0, "pass": False}},
    }
    assert asked == [("shared",)]


def test_the_json_line_is_printed_last_after_the_console_output(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(_report, "code_version", lambda paths: "abc1234")
    console = Console(highlight=False)
    console.print("[bold]a report[/] with a table and a rule")
    console.rule("Results")
    _report.print_last(
        _report.json_line("metrics", {"x": _report.result(1.5, "s", 2.0, True)}), console
    )

    out = capsys.readouterr().out
    assert out.endswith("\n")
    last = json.loads(out.splitlines()[-1])
    assert last["benchmark"] == "metrics"
    assert last["results"]["x"] == {"value": 1.5, "unit": "s", "target": 2.0, "pass": True}


@pytest.mark.parametrize(
    "main",
    [
        metrics.main,
        readiness.main,
        ingest.main,
        burst.main,
        api.main,
        site_budget.main,
        agent_eval.main,
        connect.main,
    ],
)
def test_every_benchmark_takes_json(
    main: Callable[[list[str]], Any], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--help"])
    assert stopped.value.code == 0
    assert "--json" in capsys.readouterr().out


# --- metrics ---------------------------------------------------------------------------------------


def refresh_run(workers: int, seconds: float, latencies: list[float]) -> _workers.RefreshRun:
    report = _workers.WorkerReport(1, latencies, {"computed": len(latencies)}, 1.0)
    return _workers.RefreshRun(workers, 1_000, seconds, [report])


def test_metrics_results_judge_the_medians_and_the_projected_refresh() -> None:
    loaded = metrics.Loaded(1.0, [], {}, "1 MB")
    single = metrics.SingleResult(
        loaded,
        succeeded=1_000_000,
        warmup_compute_s=2.5,
        compute=metrics.Breakdown([2.4, 1.9, 2.1], {}, []),
        warmup_refresh_s=2.0,
        refresh=metrics.Spread([1.8, 1.7, 1.9]),
        other_share=0.0,
    )
    latencies = [0.05, 0.06, 0.2]
    refresh = metrics.RefreshResult(
        loaded, runs=[refresh_run(1, 70.0, latencies), refresh_run(2, 40.0, latencies)]
    )

    results = metrics.results(single, refresh)

    assert_documented_shape(results)
    assert verdicts(results) == {
        "metric_set_1m_charges_median_s": False,  # 2.1 s > 2 s
        "metrics_refresh_1m_charges_median_s": True,  # 1.8 s
        "daily_refresh_1w_projected_10k_s": False,  # 70 s for 1,000: 700 s for 10,000
        "daily_refresh_2w_projected_10k_s": True,  # 400 s
    }
    assert values(results) == {
        "single_succeeded_charges": 1_000_000,
        "metric_set_1m_charges_median_s": 2.1,
        "metrics_refresh_1m_charges_median_s": 1.8,
        "daily_refresh_1w_businesses": 1_000,
        "daily_refresh_1w_s": 70.0,
        "daily_refresh_1w_projected_10k_s": 700.0,
        "daily_refresh_1w_businesses_per_s": 14.2857,
        "daily_refresh_1w_p50_ms": 60.0,
        "daily_refresh_1w_p99_ms": 200.0,
        "daily_refresh_1w_max_ms": 200.0,
        "daily_refresh_2w_businesses": 1_000,
        "daily_refresh_2w_s": 40.0,
        "daily_refresh_2w_projected_10k_s": 400.0,
        "daily_refresh_2w_businesses_per_s": 25.0,
        "daily_refresh_2w_p50_ms": 60.0,
        "daily_refresh_2w_p99_ms": 200.0,
        "daily_refresh_2w_max_ms": 200.0,
    }
    assert results["metric_set_1m_charges_median_s"]["target"] == metrics.TARGET_SINGLE_S
    assert results["daily_refresh_1w_projected_10k_s"]["target"] == metrics.TARGET_REFRESH_S


def test_metrics_results_hold_only_the_part_that_ran() -> None:
    loaded = metrics.Loaded(1.0, [], {}, "1 MB")
    refresh = metrics.RefreshResult(loaded, runs=[refresh_run(1, 30.0, [0.01])])
    assert {name.split("_1w_")[0] for name in metrics.results(None, refresh)} == {"daily_refresh"}
    assert metrics.results(None, None) == {}


# --- readiness ---------------------------------------------------------------------------------


def domain_result(totals_ns: list[int]) -> readiness.DomainResult:
    n = len(totals_ns)
    return readiness.DomainResult(
        totals_ns=totals_ns,
        assess_ns=[t // 2 for t in totals_ns],
        recommendations=[2] * (n - 5) + [5] * 5,
        triggered=[3] * n,
        segments=["subscription"] * n,
        seconds=0.5,
        cpu_s=0.5,
        other_s=0.0,
        collections=(0, 0, 0),
        warmup=10,
    )


def test_readiness_results_judge_the_domain_p99_and_report_the_db_part() -> None:
    # 100 businesses: 99 at 1 ms, one at 9 ms — the p99 (nearest rank) is 1 ms, the max 9 ms
    domain = domain_result([1_000_000] * 99 + [9_000_000])
    failed = (uuid.UUID(int=1), "deadlock detected")
    db = readiness.DbResult(
        businesses=3,
        load_s=0.1,
        passes=[
            readiness.DbPass("first scoring", [0.010, 0.020], [failed], cpu(0.5)),
            readiness.DbPass("scored again", [], [failed] * 3, cpu(0.5)),
        ],
        domain_s=[0.001],
        rows={},
        plan_steps={},
    )

    results = readiness.results(domain, db)

    assert_documented_shape(results)
    # score_business end to end: a median of 10 ms misses the 8 ms target; nothing scored fails
    assert verdicts(results) == {
        "assess_recommend_p99_ms": True,
        "readiness_score_first_p50_ms": False,
        "readiness_score_again_p50_ms": False,
    }
    assert results["assess_recommend_p99_ms"]["target"] == readiness.TARGET_P99_MS
    assert results["readiness_score_first_p50_ms"]["target"] == readiness.TARGET_SCORE_P50_MS
    got = values(results)
    assert got["domain_businesses"] == 100
    assert got["assess_recommend_p99_ms"] == 1.0
    assert got["assess_recommend_max_ms"] == 9.0
    assert got["assess_recommend_mean_ms"] == 1.08
    assert got["assess_recommend_businesses_per_s"] == 200.0
    assert got["assess_p99_ms"] == 0.5
    assert got["recommend_p99_ms"] == 0.5
    assert got["recommendations_mean"] == 2.15
    assert got["long_plans_share"] == 0.05
    assert {k: v for k, v in got.items() if k.startswith("readiness_score_")} == {
        "readiness_score_first_businesses": 3,
        "readiness_score_first_failed": 1,
        "readiness_score_first_p50_ms": 10.0,
        "readiness_score_first_p99_ms": 20.0,
        "readiness_score_first_max_ms": 20.0,
        "readiness_score_first_businesses_per_s": 4.0,
        # no successful call: nothing measured, not NaN
        "readiness_score_again_businesses": 3,
        "readiness_score_again_failed": 3,
        "readiness_score_again_p50_ms": None,
        "readiness_score_again_p99_ms": None,
        "readiness_score_again_max_ms": None,
        "readiness_score_again_businesses_per_s": 0.0,
    }


def test_readiness_p99_over_five_ms_fails() -> None:
    results = readiness.results(domain_result([6_000_000] * 100), None)
    assert verdicts(results) == {"assess_recommend_p99_ms": False}
    assert not any(name.startswith("readiness_score_") for name in results)


# --- ingest ------------------------------------------------------------------------------------

DEFAULT = ingest.ServerConfig("default: 1 worker × 8 threads", {}, 1, "default")
PER_CPU = ingest.ServerConfig(
    "WORKERS=2: 2 workers × 8 threads", {"WORKERS": "2"}, 2, "workers_per_cpu"
)


def load_run(
    config: ingest.ServerConfig, statuses: Counter[str], latencies: list[float]
) -> ingest.LoadRun:
    return ingest.LoadRun(config, sum(statuses.values()), 1.0, statuses, cpu(), latencies)


def test_ingest_results_judge_throughput_latency_and_the_backfill_rates() -> None:
    fast = [5.0] * 99 + [80.0]  # p99 5 ms, max 80 ms
    tps = [
        load_run(DEFAULT, Counter({"200": 600}), fast),
        # enough events/s, but one delivery was not answered 200: FAIL, as in the report
        load_run(PER_CPU, Counter({"200": 599, "ReadTimeout": 1}), fast),
    ]
    lats = [
        load_run(DEFAULT, Counter({"200": 100}), fast),
        load_run(PER_CPU, Counter({"200": 100}), [60.0] * 100),
    ]
    bf = ingest.BackfillResult(
        objects=20_000,
        rows=20_000,
        malformed=0,
        batches=20,
        normalize_s=0.2,
        write_s=0.8,
        write_client_cpu_s=0.5,
        prep_s=0.1,
        cpu=cpu(),
        by_resource=Counter({"charges": 20_000}),
    )
    bfp = ingest.ParallelBackfillResult(2, 20_000, 2.0, cpu(2.0))

    results = ingest.results(tps, lats, bf, bfp)

    assert_documented_shape(results)
    assert verdicts(results) == {
        "webhook_throughput_default_events_per_s": True,
        "webhook_throughput_workers_per_cpu_events_per_s": False,
        "webhook_latency_default_p99_ms": True,
        "webhook_latency_workers_per_cpu_p99_ms": False,
        "backfill_objects_per_s": True,  # 20,000 objects/s: the target, met
        "backfill_2_writers_objects_per_s": False,  # 10,000 objects/s
    }
    got = values(results)
    assert got["webhook_throughput_workers_per_cpu_events_per_s"] == 599.0
    assert (got["webhook_latency_default_p50_ms"], got["webhook_latency_default_max_ms"]) == (
        5.0,
        80.0,
    )
    assert got["backfill_normalize_share"] == 0.2
    assert got["backfill_normalize_objects_per_s"] == 100_000.0
    assert results["webhook_throughput_default_events_per_s"]["target"] == 500.0
    assert results["webhook_latency_default_p99_ms"]["target"] == 50.0
    assert results["backfill_objects_per_s"]["target"] == 20_000.0


def test_ingest_results_of_the_backfill_alone() -> None:
    bfp = ingest.ParallelBackfillResult(3, 30_000, 1.0, cpu())
    assert ingest.results([], [], None, bfp) == {
        "backfill_3_writers_objects_per_s": {
            "value": 30_000.0,
            "unit": "objects/s",
            "target": 20_000.0,
            "pass": True,
        }
    }


# --- burst ---------------------------------------------------------------------------------------


def a_burst(
    size: str,
    mode: str,
    idle_s: float,
    probes: Sequence[tuple[float, float, int]] = (),
) -> burst.Burst:
    """190 deliveries over 2 s ending at t = 1002, two computations of 800 ms (target 3.6 s),
    idle `idle_s` after the last delivery; probes as (started, ended, exit status)."""
    delivered = burst.Delivered(190, 1000.0, 1002.0, Counter({"200": 190}))
    seen = burst.Activity(computed=[(1001.0, 800), (1004.0, 800)])
    runs = [
        burst.CommandRun(started, ended, code, "{}" if code == 0 else "", "still running")
        for started, ended, code in probes
    ]
    return burst.Burst(
        size,
        mode,
        1,
        173,
        delivered,
        published=173,
        idle_at=1002.0 + idle_s,
        seen=seen,
        run_writes=2,
        duration_ms=800,
        cpu=cpu(),
        probes=runs,
        idle_score_s=0.7 if runs else None,
    )


def test_burst_results_judge_idle_time_and_busy_answers_per_size() -> None:
    bursts = [
        # slice: idle within 3.6 s; `vaultra score` busy once, before the business was idle
        a_burst("slice", burst.OBSERVED, 3.0),
        a_burst("slice", burst.PROBED, 2.0, [(1002.0, 1003.0, 1), (1003.5, 1005.5, 0)]),
        # whole: idle after 5 s; one busy answer from an attempt started once idle
        a_burst("whole", burst.OBSERVED, 5.0),
        a_burst("whole", burst.PROBED, 1.0, [(1003.5, 1004.0, 1), (1004.0, 1004.5, 0)]),
    ]

    results = burst.results(bursts)

    assert_documented_shape(results)
    assert verdicts(results) == {
        "slice_idle_worst_s": True,
        "slice_score_busy_after_idle": True,
        "whole_idle_worst_s": False,
        "whole_score_busy_after_idle": False,
    }
    assert results["slice_idle_worst_s"]["target"] == 3.6  # debounce 2 s + 2 × 800 ms
    assert results["slice_score_busy_after_idle"]["target"] == 0
    got = values(results)
    assert {k: v for k, v in got.items() if k.startswith("slice_")} == {
        "slice_deliveries": 190,
        "slice_delivery_s": 2.0,
        "slice_deliveries_per_s": 95.0,
        "slice_computations_median": 2,
        "slice_computations_worst": 2,
        "slice_computation_ms": 800,
        "slice_idle_median_s": 3.0,
        "slice_idle_worst_s": 3.0,
        "slice_score_answered_median_s": 3.5,
        "slice_score_answered_worst_s": 3.5,
        "slice_score_on_idle_s": 0.7,
        "slice_score_busy_answers": 1,
        "slice_score_busy_after_idle": 0,
    }
    assert got["whole_score_busy_after_idle"] == 1


def test_burst_results_hold_only_the_sizes_that_ran() -> None:
    results = burst.results([a_burst("whole", burst.OBSERVED, 1.0)])
    assert {name.split("_")[0] for name in results} == {"whole"}
    # no burst with `vaultra score`: nothing measured of it, and no verdict
    assert results["whole_score_busy_after_idle"]["value"] is None
    assert results["whole_score_busy_after_idle"]["pass"] is None
    assert results["whole_score_answered_median_s"]["value"] is None


# --- api -------------------------------------------------------------------------------------------


def phase(
    route: api.Route, statuses: Counter[str], latencies: list[float], bad_body: int = 0
) -> api.Phase:
    return api.Phase(route, api.QUICK, statuses, latencies, 0, 0, bad_body, 0, 0.1, cpu(5.0))


HEALTHZ = api.Route("`/healthz`", "/healthz", False, False)
SUMMARY = api.Route("summary", "/api/v1/businesses/b/summary", True, True)
ME = api.Route("`/api/v1/me`", "/api/v1/me", True, False)


@pytest.mark.parametrize(("bad_body", "verdict"), [(0, True), (1, False)])
def test_api_results_judge_the_summarys_p95_and_its_ratio_to_healthz(
    bad_body: int, verdict: bool
) -> None:
    health = phase(HEALTHZ, Counter({"200": 10_000}), [1.0] * 100)  # 2,000 requests/s over 5 s
    summary = phase(
        SUMMARY, Counter({"200": 5_000}), [10.0] * 95 + [60.0] * 5, bad_body
    )  # 1,000 requests/s: half of /healthz's, the target; p95 10 ms
    me = phase(ME, Counter({"200": 4_000, "503": 2}), [12.0])

    results = api.results(health, summary, [me])

    assert_documented_shape(results)
    # a summary answer without a score fails both, as in the report
    assert verdicts(results) == {"summary_p95_ms": verdict, "summary_healthz_ratio": verdict}
    assert results["summary_p95_ms"]["target"] == 50.0
    assert results["summary_healthz_ratio"]["target"] == 0.5
    got = values(results)
    assert got["summary_healthz_ratio"] == 0.5
    assert (got["healthz_requests_per_s"], got["summary_requests_per_s"]) == (2000.0, 1000.0)
    assert (got["summary_p95_ms"], got["summary_max_ms"]) == (10.0, 60.0)
    assert got["summary_errors"] == bad_body
    assert (got["me_requests_per_s"], got["me_errors"]) == (800.0, 2)


def test_api_ratio_without_any_healthz_answer_is_not_measured() -> None:
    health = phase(HEALTHZ, Counter({"ConnectionResetError": 3}), [])
    summary = phase(SUMMARY, Counter({"200": 10}), [5.0])
    results = api.results(health, summary, [])
    assert results["summary_healthz_ratio"] == {
        "value": None,
        "unit": "ratio",
        "target": 0.5,
        "pass": False,
    }
    assert results["healthz_p95_ms"]["value"] is None


# --- the two that had `--json` first ---------------------------------------------------------------


def test_site_budget_results_keep_their_names_and_one_decimal() -> None:
    def page(gzip: int) -> PageWeight:
        return PageWeight("/", initial=[Script("/a.js", gzip * 3, gzip, "script src")])

    weights = {"/app": page(81_000), "/": page(12_345)}
    results = site_budget.results(weights, None)

    assert_documented_shape(results)
    assert verdicts(results) == {"app_js_gzip": False}  # 81 KB > 80 KB
    assert values(results) == {
        "app_js_gzip": 81_000,
        "app_js_raw": 243_000,
        "app_js_lazy_gzip": 0,
        "app_js_files": 1,
        "landing_js_gzip": 12_345,
        "landing_js_raw": 37_035,
    }


def test_agent_eval_results_keep_their_names_and_a_missing_catch_rate_is_null() -> None:
    found = {
        method: {"recall_at_5": 0.9, "mrr": 0.8, "p50_ms": 5.0, "p95_ms": 31.0}
        for method in ("lexical", "dense", "hybrid")
    }
    offline = {"accuracy": 0.913043, "tool_recall": 0.96, "misses": []}
    grounded = {"catch_rate": math.nan, "false_alarms": 0}

    results = agent_eval.results(offline, found, grounded, None)

    assert_documented_shape(results)
    assert verdicts(results) == {"retrieval_p95_default": False, "grounding_false_alarms": True}
    assert results["routing_accuracy_offline"]["value"] == 0.913
    assert results["grounding_catch_rate"]["value"] is None
    assert set(results) == {
        "routing_accuracy_offline",
        "retrieval_p95_default",
        "grounding_catch_rate",
        "grounding_false_alarms",
        *(f"{m}_{method}" for m in ("recall_at_5", "mrr") for method in found),
    }


# --- connect -------------------------------------------------------------------------------------


def test_connect_holds_the_first_score_to_20_s_and_the_requests_to_90_percent_of_the_budget() -> (
    None
):
    # 1,800 requests in 100 s of import: 18/s of a 20/s budget = 90 %, just at the mark; the
    # first score after 12.5 s ≤ 20 s
    run = connect.Run(100_000, 20.0, 12.5, 101.0, 104.2, 1_800, 100.0)

    results = connect.results(run)

    assert_documented_shape(results)
    assert verdicts(results) == {"first_score_s": True, "budget_share": True}
    assert values(results)["request_rate_per_s"] == 18.0
    assert values(results)["budget_share"] == 0.9
    slow = connect.results(connect.Run(100_000, 20.0, 25.0, 300.0, None, 1_000, 300.0))
    # 1,000 / 300 = 3.33/s of 20: 17 %; and no score of the whole history yet: null
    assert verdicts(slow) == {"first_score_s": False, "budget_share": False}
    assert values(slow)["full_score_s"] is None


def test_connect_without_a_finished_import_has_no_rate() -> None:
    results = connect.results(connect.Run(5_000, 20.0, None, None, None, 40, None))
    assert values(results)["request_rate_per_s"] is None
    assert verdicts(results) == {"first_score_s": False, "budget_share": False}


def test_the_readiness_population_is_shaped_like_the_metric_catalog() -> None:
    """The benchmark scores generated metric sets; each must carry every key of the catalog (a new
    metric the generator does not make would stop the benchmark before it measures)."""
    from vaultra.domain.metrics.catalog import BY_KEY

    for business in readiness.population(40, readiness.SEED):
        assert set(business.metrics) == set(BY_KEY)
