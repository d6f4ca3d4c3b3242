#!/usr/bin/env python3
"""Build README's interoperability table from the interop tests' results.

Each cell of the table (a feature against BIRD, FRR, GoBGP or ExaBGP) names
the tests that prove it.  The script runs those tests (or reads the JUnit XML
of a run that already happened, ``--junit FILE``) and prints the table in
Markdown; ``--write`` also puts it into README between its two markers.

A cell reads:

    yes       every test of the cell passed
    no        a test of the cell is a strict xfail: a known gap, named in
              the test's reason
    FAILED    a test of the cell failed or errored
    ?         the tests of the cell did not run (deselected, or not in the
              JUnit file)
    -         no test: the daemon lacks the feature, or nobody wrote one

Usage:
    scripts/interop_table.py                  # run the tests, print the table
    scripts/interop_table.py --write          # ... and update README.md
    scripts/interop_table.py --junit r.xml    # table from an earlier run
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
START = "<!-- interop-table:start -->"
END = "<!-- interop-table:end -->"
DAEMONS = ("BIRD", "FRR", "GoBGP", "ExaBGP")

I = "tests/interop/"  # noqa: E741
M = I + "test_matrix.py::"
F = I + "test_matrix_families.py::"
S = I + "test_matrix_sessions.py::"
MORE = I + "test_sessions_more.py::"
SI = I + "test_sessions_interop.py::"
FIN = I + "test_sessions_final.py::"
FAM = I + "test_families_interop.py::"
GR = I + "test_graceful_receiving.py::"
RX = I + "test_receive_mup_mvpn.py::"
SEC = "tests/system/test_session_security.py::"
MUP = I + "test_announce_mup_mvpn.py::"
AP = I + "test_add_path_receive.py::"
MM = I + "test_matrix_more.py::"


def _matrix(test: str) -> dict[str, list[str]]:
    """A cell of test_matrix.py, parametrized by daemon."""
    return {d: [f"{M}{test}[{d.lower()}]"] for d in DAEMONS}


def _both(first: str, second: str) -> dict[str, list[str]]:
    one, two = _matrix(first), _matrix(second)
    return {d: one[d] + two[d] for d in DAEMONS}


EVERY_FAMILY_EXABGP = [FAM + "test_every_family_reaches_exabgp"]

# feature -> daemon -> the tests that must all pass
TABLE: dict[str, dict[str, list[str]]] = {
    "Session up, OPEN read back": _matrix("test_session_established"),
    "IPv4/IPv6 routes to the daemon, attributes compared":
        _matrix("test_routes_from_bgpmesh_reach_daemon"),
    "IPv4/IPv6 routes from the daemon, as ExaBGP JSON":
        _matrix("test_routes_from_daemon_reach_bgpmesh_script"),
    "Withdrawals both ways": _both("test_withdrawal_from_daemon_reaches_bgpmesh_script",
                                   "test_withdrawal_from_bgpmesh_removes_route_at_daemon"),
    "FlowSpec": {"BIRD": [F + "test_bird_flowspec"],
                 "GoBGP": [FAM + "test_flowspec_and_vpn_reach_gobgp"],
                 "ExaBGP": EVERY_FAMILY_EXABGP},
    "L3VPN (mpls-vpn)": {"BIRD": [F + "test_bird_l3vpn"], "FRR": [F + "test_frr_l3vpn"],
                         "GoBGP": [FAM + "test_flowspec_and_vpn_reach_gobgp"],
                         "ExaBGP": EVERY_FAMILY_EXABGP},
    "Labeled unicast (nlri-mpls)": {"BIRD": [F + "test_bird_labeled_unicast"],
                                    "FRR": [F + "test_frr_labeled_unicast"],
                                    "ExaBGP": EVERY_FAMILY_EXABGP},
    "VPLS": {"GoBGP": [F + "test_gobgp_vpls"], "ExaBGP": EVERY_FAMILY_EXABGP},
    "EVPN": {"FRR": [F + "test_frr_evpn"], "GoBGP": [F + "test_gobgp_evpn"],
             "ExaBGP": EVERY_FAMILY_EXABGP},
    "Route target constraint (RTC)": {"GoBGP": [F + "test_gobgp_rtc"]},
    "MUP, four route types (ExaBGP 5.0 words)": {
        "GoBGP": [MUP + "test_gobgp_holds_the_mup_routes_bgpmesh_announces"],
        "ExaBGP": [MUP + "test_exabgp_reads_what_bgpmesh_announces_as_exabgp_would_send_it"]},
    "MCAST-VPN, route types 1 to 7": {
        "ExaBGP": [MUP + "test_exabgp_reads_what_bgpmesh_announces_as_exabgp_would_send_it"]},
    "SR Policy candidate paths (bgpmesh words)": {
        "GoBGP": [MUP + "test_gobgp_accepts_the_sr_policy_routes_bgpmesh_announces"]},
    "A family not negotiated is not sent": {
        "GoBGP": [I + "test_unnegotiated_families.py::"
                  "test_a_family_not_negotiated_is_kept_and_never_sent"]},
    "Route refresh": {"BIRD": [S + "test_route_refresh_bird"],
                      "FRR": [MORE + "test_route_refresh_from_frr_makes_bgpmesh_resend"],
                      # GoBGP 3.10 never sends ROUTE-REFRESH (the strict xfail
                      # test_route_refresh_gobgp holds the evidence): "-"
                      "ExaBGP": [S + "test_route_refresh_exabgp"]},
    "ADD-PATH, two paths for one prefix": {
        "BIRD": [MORE + "test_add_path_send_two_paths_for_one_prefix_reach_bird"],
        "FRR": [S + "test_add_path_two_paths_frr"],
        "GoBGP": [S + "test_add_path_two_paths_gobgp"],
        "ExaBGP": [MM + "test_add_path_two_paths_exabgp"]},
    "ADD-PATH received: each path its own route (withdrawn, stale)": {
        "BIRD": [AP + "test_two_paths_from_bird_reach_the_script_with_their_path_ids",
                 AP + "test_withdrawing_one_path_leaves_the_other_in_the_adj_rib_in",
                 AP + "test_graceful_restart_keeps_and_withdraws_paths_not_prefixes"]},
    "Graceful restart, bgpmesh restarting (worker SIGKILLed)": {
        "BIRD": [SI + "test_graceful_restart_keeps_routes_through_a_killed_worker"],
        "FRR": [S + "test_graceful_restart_frr"],
        "GoBGP": [S + "test_graceful_restart_gobgp"]},
    "Restart State bit only on the first session after a restart": {
        "BIRD": [SI + "test_only_the_first_session_after_a_worker_restart_says_restart_state"]},
    "Graceful restart, the daemon restarting (stale, End-of-RIB)": {
        "BIRD": [GR + "test_bird_restarts_gracefully_and_the_script_sees_no_withdrawal_until_end_of_rib",
                 GR + "test_bird_stays_away_past_its_restart_time",
                 GR + "test_silent_bird_hold_timer_then_back_without_forwarding_state"],
        "FRR": [MM + "test_frr_restarts_gracefully_and_the_script_sees_no_withdrawal_until_end_of_rib"],
        "GoBGP": [MM + "test_gobgp_restarts_gracefully_and_the_script_sees_no_withdrawal_until_end_of_rib"]},
    "Long-lived graceful restart, bgpmesh restarting": {
        "BIRD": [SI + "test_long_lived_graceful_restart_keeps_routes_past_the_restart_time"],
        "FRR": [S + "test_long_lived_graceful_restart_frr"]},
    "Long-lived graceful restart, the daemon restarting": {
        "BIRD": [GR + "test_bird_stays_away_long_lived_stale_then_withdrawn"]},
    "MUP and MCAST-VPN routes from the daemon": {
        "GoBGP": [RX + "test_gobgp_mup_routes_reach_a_script"],
        "ExaBGP": [RX + "test_exabgp_mcast_vpn_and_mup_routes_reach_a_script"]},
    "TCP MD5, right key up and wrong key refused": {
        "BIRD": [S + "test_md5_right_key_bird", S + "test_md5_wrong_key_refused_bird"],
        "FRR": [MORE + "test_tcp_md5_with_frr",
                MORE + "test_tcp_md5_wrong_key_never_establishes_with_frr"],
        "GoBGP": [MM + "test_md5_right_key_gobgp", MM + "test_md5_wrong_key_refused_gobgp"],
        "ExaBGP": [MM + "test_md5_right_key_exabgp", MM + "test_md5_wrong_key_refused_exabgp"]},
    "GTSM (TTL security)": {
        "BIRD": [SEC + "test_passive_md5_and_gtsm_are_on_the_listening_socket"],
        "FRR": [MM + "test_gtsm_frr"], "GoBGP": [MM + "test_gtsm_gobgp"],
        "ExaBGP": [MM + "test_gtsm_exabgp"]},
    "Collision, both sides active: one session": {
        "BIRD": [SI + "test_both_sides_active_end_with_one_session"],
        "FRR": [S + "test_collision_frr_both_active"],
        "GoBGP": [MM + "test_collision_gobgp_both_active"]},
    "BGP role and OTC": {
        "BIRD": [FIN + "test_role_provider_to_bird_customer_marks_routes_with_otc",
                 FIN + "test_role_mismatch_with_bird_never_establishes"]},
    "Extended next hop (IPv4 over IPv6 next hop)": {
        "BIRD": [MM + "test_ipv4_route_over_ipv6_next_hop_on_ipv6_transport_reaches_bird"],
        "FRR": [FIN + "test_ipv4_route_over_ipv6_next_hop_reaches_frr"],
        "GoBGP": [MM + "test_ipv4_route_over_ipv6_next_hop_reaches_gobgp"],
        "ExaBGP": [MM + "test_ipv4_route_over_ipv6_next_hop_reaches_exabgp"]},
    "IPv6 transport (::1)": {
        "BIRD": [MM + "test_ipv4_route_over_ipv6_next_hop_on_ipv6_transport_reaches_bird"],
        "FRR": [MORE + "test_session_over_ipv6_loopback_with_frr"],
        "GoBGP": [MM + "test_session_over_ipv6_loopback_with_gobgp"]},
    "Maximum prefixes (teardown, warn)": {
        "BIRD": [MORE + "test_max_prefixes_teardown_sends_cease_6_1_to_bird",
                 MORE + "test_max_prefixes_warn_only_logs"]},
    "peer-as auto, capabilities (hostname, GR, extended message), passive ranges": {
        "BIRD": [SI + "test_peer_as_auto_and_capabilities_seen_by_bird",
                 SI + "test_a_passive_range_accepts_a_peer_inside_it"]},
    "Shutdown communication (RFC 9003)": {
        "BIRD": [SI + "test_sigterm_sends_the_shutdown_communication"]},
}


def node_ids() -> list[str]:
    seen: dict[str, None] = {}
    for cells in TABLE.values():
        for tests in cells.values():
            seen.update(dict.fromkeys(tests))
    return list(seen)


def junit_outcomes(path: Path) -> dict[str, str]:
    """node id -> passed, failed, xfail, skipped, from pytest's JUnit XML."""
    outcomes: dict[str, str] = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        module = case.get("classname", "").replace(".", "/") + ".py"
        node = f"{module}::{case.get('name', '')}"
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error"):
                outcome = "failed"
            elif child.tag == "skipped":
                # pytest writes an xfail as a skip of type pytest.xfail
                outcome = "xfail" if child.get("type") == "pytest.xfail" else "skipped"
        if outcome == "passed" or node not in outcomes:
            outcomes[node] = outcome
        elif outcome == "failed":
            outcomes[node] = outcome
    return outcomes


def cell(tests: list[str], outcomes: dict[str, str]) -> str:
    if not tests:
        return "-"
    found = [outcomes.get(test) for test in tests]
    if "failed" in found:
        return "FAILED"
    if "xfail" in found:
        return "no"
    if any(outcome in (None, "skipped") for outcome in found):
        return "?"
    return "yes"


def markdown(outcomes: dict[str, str]) -> str:
    lines = ["| feature | " + " | ".join(DAEMONS) + " |",
             "|---|" + "---|" * len(DAEMONS)]
    for feature, cells in TABLE.items():
        row = [cell(cells.get(daemon, []), outcomes) for daemon in DAEMONS]
        lines.append(f"| {feature} | " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def write_readme(table: str) -> None:
    text = README.read_text()
    head, start, rest = text.partition(START)
    _, end, tail = rest.partition(END)
    if not start or not end:
        sys.exit(f"README.md has no {START} ... {END} markers")
    README.write_text(f"{head}{START}\n{table}{END}{tail}")


def run_tests(junit: Path, workers: str) -> None:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
               f"--junitxml={junit}", *node_ids()]
    if workers != "0":
        command[3:3] = ["-n", workers]
    done = subprocess.run(command, cwd=ROOT, check=False)
    if done.returncode not in (0, 1):  # 1: some tests failed, which the table shows
        sys.exit(f"pytest could not run the cell tests (exit {done.returncode})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--junit", type=Path, help="read this JUnit XML instead of running")
    parser.add_argument("--write", action="store_true", help="update README.md's table")
    parser.add_argument("-n", dest="workers", default=str(min(4, os.cpu_count() or 1)),
                        help="pytest-xdist workers for the run (0: none)")
    args = parser.parse_args()
    if args.junit:
        outcomes = junit_outcomes(args.junit)
    else:
        with tempfile.TemporaryDirectory() as folder:
            junit = Path(folder) / "interop.xml"
            run_tests(junit, args.workers)
            outcomes = junit_outcomes(junit)
    table = markdown(outcomes)
    print(table, end="")
    if args.write:
        write_readme(table)


if __name__ == "__main__":
    main()
