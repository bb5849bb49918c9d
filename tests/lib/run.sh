# Sourced by the end-to-end scripts that run the glassbox binary $G with a scratch folder $TMP
# (both set by the script before it calls these).
# run_status EXPECTED_STATUS ARGS...: runs glassbox, keeps stdout/stderr in $TMP/out, $TMP/err,
# and succeeds when the exit status is the expected one.
run_status() {
    local want=$1 got=0
    shift
    "$G" "$@" >"$TMP/out" 2>"$TMP/err" || got=$?
    if [ "$got" != "$want" ]; then
        echo "     expected status $want, got $got from: glassbox $*" >&2
        sed 's/^/     stderr: /' "$TMP/err" | head -5 >&2
        return 1
    fi
}
err_has() { grep -qF -- "$1" "$TMP/err" || { echo "     stderr lacks: $1" >&2; return 1; }; }
out_has() { grep -qF -- "$1" "$TMP/out" || { echo "     stdout lacks: $1" >&2; return 1; }; }
one_line_err() { [ "$(wc -l <"$TMP/err")" -eq 1 ] || { echo "     stderr is not one line" >&2; return 1; }; }
