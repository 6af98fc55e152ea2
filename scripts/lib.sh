# Shared by scripts/start, scripts/test and scripts/bench: install what is missing, then build.
# Sourced, not run.

SPOT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Debian packages the build, the tests and the benchmarks need.
SPOT_PACKAGES="build-essential file cmake pkg-config git python3 sqlite3 libsqlite3-dev liblua5.4-dev lua5.4 \
libmicrohttpd-dev libjansson-dev libcmocka-dev libsodium-dev libcsv-dev libedit-dev tmux \
clang libclang-rt-14-dev wrk nginx-light openssl systemd groff-base man-db chromium nodejs libjs-codemirror \
fonts-wqy-microhei"

spot_install() {
  local missing=()
  for p in $SPOT_PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing: ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
      echo "error: missing Debian packages (${missing[*]}) and neither root nor sudo to install them" >&2
      return 1
    fi
  fi
  # Debian's nodejs ships without npm when it comes from Debian itself; add npm only then.
  if printf '%s\n' "${missing[@]}" | grep -qx nodejs || ! command -v npm >/dev/null 2>&1; then
    command -v npm >/dev/null 2>&1 || missing+=(npm)
  fi
  $sudo apt-get update -qq || { echo "error: apt-get update failed" >&2; return 1; }
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    || { echo "error: apt-get install failed" >&2; return 1; }
}

# spot_build DIR [cmake options...]
spot_build() {
  local dir=$1; shift
  cmake -S "$SPOT_ROOT" -B "$dir" "$@" >/dev/null || return 1
  cmake --build "$dir" -j"$(nproc)" || return 1
}
