# Shared by scripts/start, scripts/test and scripts/bench: install what is missing, then build.
# Sourced, not run.

SPOT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Debian packages building and running need (scripts/start): compiler and CMake, the libraries,
# cmocka and python3 (CMake configures the tests too), Debian's CodeMirror (served to the rule editor)
# and Chart.js (the statistics and dashboard charts).
SPOT_PACKAGES="build-essential cmake pkg-config libsqlite3-dev liblua5.4-dev libmicrohttpd-dev \
libjansson-dev libcmocka-dev libsodium-dev libcsv-dev libedit-dev libxlsxwriter-dev libzip-dev libexpat1-dev libcurl4-openssl-dev zlib1g-dev python3 libjs-codemirror libjs-chart.js"

# Only the tests and benchmarks (scripts/test, scripts/bench) need these: sanitizers (clang), browser
# tests (chromium, nodejs/npm, a CJK font, poppler-utils to read the printed documents' PDFs),
# deployment tests (nginx, openssl, systemd, man page tools, file, git), the sqlite3 shell and lua5.4
# as peers, wrk, tmux, python3-openpyxl (the .xlsx tests), faketime (the date-bound tests at a fixed
# hour and year end).
SPOT_TEST_PACKAGES="file git sqlite3 lua5.4 tmux clang libclang-rt-14-dev wrk nginx-light openssl systemd \
groff-base man-db chromium nodejs fonts-wqy-microhei python3-openpyxl poppler-utils faketime"

# spot_install [PACKAGES]: install the missing ones of PACKAGES (default: $SPOT_PACKAGES).
spot_install() {
  local missing=()
  for p in ${1:-$SPOT_PACKAGES}; do
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
