# Sourced by the end-to-end scripts (tests/*.sh): counts passed and failed checks.
# check NAME COMMAND... runs the command and records it as passed when it succeeds.
passed=0
failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; failed=$((failed + 1)); }
check() {
    local name=$1
    shift
    if "$@"; then ok "$name"; else bad "$name"; fi
}
