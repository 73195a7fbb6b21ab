# Creates .venv with the project and its dev tools, once; reinstalls when
# pyproject.toml changes. Sourced by scripts/test and scripts/demo.
PY=${PYTHON:-python3}
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
if ! [ -x .venv/bin/python ]; then
  if ! "$PY" -m venv .venv 2>/dev/null; then
    # Debian ships venv/ensurepip separately.
    rm -rf .venv
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    "$PY" -m venv .venv
  fi
fi
# evdev has no wheels: it is compiled against Python.h and linux/input.h.
if ! command -v cc >/dev/null || ! [ -f /usr/include/linux/input.h ] ||
   ! [ -f "$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')/Python.h" ]; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc python3-dev linux-libc-dev >/dev/null
fi
stamp=.venv/.station-installed
if ! [ -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e '.[dev]'
  touch "$stamp"
fi
