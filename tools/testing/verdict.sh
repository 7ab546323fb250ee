#!/bin/bash
# The verdict of a test run: the one place that decides whether `make
# check` passed.  Used by tools/check.sh, and by the harness self-tests on
# made-up runs (tools/testing/harness-selftest.sh).
#
#   verdict.sh complete EXPECTED LOG RC
#       Prints result lines about the run as a whole:
#         suite::all_selected_ran  every name in EXPECTED (one per line) has
#                                  exactly one PASS/FAIL/SKIP line in LOG
#         vm::judged               the VM run was judged (tools/vm/judge.sh's
#                                  lines are all in LOG)
#         vm::run_exit             the VM command (the guest's suite) exited 0
#                                  (RC is tools/vm/run.sh's exit status)
#   verdict.sh summary RESULTS
#       Prints "N passed, N failed, N skipped" over RESULTS' lines and exits
#       0 only if nothing failed, something passed, and no line is malformed.
set -uo pipefail

result() { if [ "$2" = 1 ]; then echo "PASS $1"; else echo "FAIL $1: $3"; fi; }

complete() {
	local expected=$1 log=$2 rc=$3 name n missing="" twice="" total=0
	while IFS= read -r name; do
		[ -n "$name" ] || continue
		total=$((total + 1))
		n=$(grep -cE "^(PASS|FAIL|SKIP) ${name//./\\.}(:|\$)" "$log")
		if [ "$n" = 0 ]; then missing+=" $name"; elif [ "$n" != 1 ]; then twice+=" $name"; fi
	done <"$expected"
	if [ "$total" = 0 ]; then
		result suite::all_selected_ran 0 "no test was selected"
	elif [ -n "$missing$twice" ]; then
		result suite::all_selected_ran 0 "of $total selected, no result for:${missing:- none}; more than one for:${twice:- none}"
	else
		result suite::all_selected_ran 1
	fi
	missing=""
	for name in vm::smap vm::kernel_log_clean vm::module_unload vm::foll_pin_balance vm::memory_returned; do
		grep -qE "^(PASS|FAIL) $name(:|\$)" "$log" || missing+=" $name"
	done
	if [ -n "$missing" ]; then
		result vm::judged 0 "the run ended before it was judged (no result for:$missing)"
	else
		result vm::judged 1
	fi
	if [ "$rc" = 0 ]; then
		result vm::run_exit 1
	else
		result vm::run_exit 0 "the VM run exited $rc (125: judged a failure; else the guest suite's status)"
	fi
}

summary() {
	local results=$1 passed failed skipped bad
	passed=$(grep -c '^PASS ' "$results")
	failed=$(grep -c '^FAIL ' "$results")
	skipped=$(grep -c '^SKIP ' "$results")
	bad=$(grep -cvE '^(PASS|FAIL|SKIP) [^ :]+(:|$)' "$results")
	if [ "$failed" != 0 ]; then
		echo "Failed:"
		grep '^FAIL ' "$results"
	fi
	[ "$bad" = 0 ] || echo "malformed result lines: $bad"
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" = 0 ] && [ "$passed" != 0 ] && [ "$bad" = 0 ]
}

case ${1:-} in
complete) shift; complete "$@" ;;
summary) shift; summary "$@" ;;
*) echo "usage: $0 complete EXPECTED LOG RC | summary RESULTS" >&2; exit 2 ;;
esac
