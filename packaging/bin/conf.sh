# conf.sh: sourced by the spotcheck-* helpers. Reads one key the way core/lib/config.c does:
# built-in default < configuration file (SPOTCHECK_CONFIG) < SPOTCHECK_* environment variable.
SPOTCHECK_BIN=${SPOTCHECK_BIN:-/usr/bin/spotcheck}
SPOTCHECK_CONFIG=${SPOTCHECK_CONFIG-/etc/spotcheck/spotcheck.conf}
export SPOTCHECK_CONFIG

trim() {
    local s=$1
    s=${s#"${s%%[![:space:]]*}"}
    s=${s%"${s##*[![:space:]]}"}
    printf '%s' "$s"
}

# conf_get KEY ENVNAME DEFAULT: prints the effective value (the last line for KEY in the file wins).
conf_get() {
    local key=$1 env=$2 value=$3 line k
    if [ -n "$env" ] && [ -n "${!env+set}" ]; then
        printf '%s\n' "${!env}"
        return
    fi
    if [ -n "$SPOTCHECK_CONFIG" ] && [ -r "$SPOTCHECK_CONFIG" ]; then
        while IFS= read -r line || [ -n "$line" ]; do
            line=$(trim "$line")
            case $line in '' | '#'*) continue ;; esac
            case $line in *=*) ;; *) continue ;; esac
            k=$(trim "${line%%=*}")
            [ "$k" = "$key" ] && value=$(trim "${line#*=}")
        done <"$SPOTCHECK_CONFIG"
    fi
    printf '%s\n' "$value"
}
