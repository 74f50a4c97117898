#!/usr/bin/env bash
# Open the course in JupyterLab with nbgrader's extensions: the student's "Validate" button and
# assignment list, and the TA's formgrader (menu Nbgrader > Formgrader).
#
#   bash scripts/lab.sh                    # http://127.0.0.1:8888, this repository
#   bash scripts/lab.sh 9000               # another port
#   bash scripts/lab.sh 9000 ~/ml-course   # a TA's course root elsewhere
#
# The server runs in the course root, where nbgrader_config.py maps nbgrader's source and release
# folders onto solutions/ and course/ (formgrader reads that file from the server's working
# directory). The browser opens on course/.
#
# It listens on 127.0.0.1 only and keeps Jupyter's login token: other people on a shared machine
# (a lab computer, a login node) can reach 127.0.0.1 too, and a Jupyter server runs any code it is
# sent, as you. The link to open, token included, is printed once the server is up; set
# JUPYTER_TOKEN to choose the token yourself.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"

port="${1:-8888}"
course_root="${2:-$repo}"
if ! [[ "$port" =~ ^[0-9]+$ ]] || [ "$port" -lt 1024 ] || [ "$port" -gt 65535 ]; then
  echo "lab: PORT must be a number from 1024 to 65535, got '$port'" >&2
  exit 2
fi
if [ ! -d "$course_root" ]; then
  echo "lab: COURSE_ROOT '$course_root' is not a directory" >&2
  exit 2
fi
course_root="$(cd "$course_root" && pwd)"
if [ ! -f "$course_root/nbgrader_config.py" ]; then
  echo "lab: warning: no nbgrader_config.py in $course_root; formgrader will not find the course" >&2
fi

cd "$repo"
# The test suite runs setup itself before it starts this script.
if [ "${LAB_SKIP_SETUP:-0}" != 1 ]; then bash scripts/setup.sh; fi
python=.venv/bin/python
jupyter="$repo/.venv/bin/jupyter"

# pip writes JupyterLab's page, the lab extensions and the server-extension switches outside
# site-packages (.venv/share, .venv/etc). A venv copied without them imports fine but serves a
# blank page, so put them back from the installed versions.
for needed in .venv/share/jupyter/lab/static \
              .venv/share/jupyter/labextensions/@jupyter/nbgrader \
              .venv/etc/jupyter/jupyter_server_config.d/nbgrader.json \
              "$jupyter"; do
  if [ ! -e "$needed" ]; then
    echo "lab: $needed is missing; reinstalling JupyterLab's and nbgrader's files into .venv"
    pins="$("$python" -c 'from importlib.metadata import version
print(" ".join(f"{name}=={version(name)}" for name in
               ("jupyterlab", "notebook", "nbgrader", "jupyter_server", "jupyter_core")))')"
    # shellcheck disable=SC2086  # one word per pinned package
    "$python" -m pip install --quiet --no-deps --force-reinstall $pins
    break
  fi
done

# nbgrader switches its extensions on when installed, but a user's `jupyter ... disable` wins.
# Read the same configuration the server reads (`jupyter server extension list` and
# `jupyter labextension list` say the same, but import every extension and take seconds).
switched_off="$("$python" - <<'EOF'
from jupyter_core.paths import jupyter_config_path
from jupyter_server.extension.config import ExtensionConfigManager
from jupyterlab_server.config import get_static_page_config

server = ExtensionConfigManager(read_config_path=jupyter_config_path()).get_jpserver_extensions()
for name in ("formgrader", "assignment_list", "validate_assignment", "course_list"):
    if server.get(f"nbgrader.server_extensions.{name}") is not True:
        print(f"server nbgrader.server_extensions.{name}")
disabled = get_static_page_config(level="all").get("disabledExtensions", {})
if isinstance(disabled, list):
    disabled = dict.fromkeys(disabled, True)
for name, off in disabled.items():
    if off and name.startswith("@jupyter/nbgrader"):
        print(f"lab {name}")
EOF
)"
while read -r kind name; do
  case "$kind" in
    server) echo "lab: enabling $name"; "$jupyter" server extension enable --user "$name" ;;
    lab)    echo "lab: enabling $name"; "$jupyter" labextension enable --level=user "$name" ;;
  esac
done <<<"$switched_off"

# Course defaults for JupyterLab's settings (a user's own settings still win): no pop-up asking
# whether to fetch news from the internet, no update check.
overrides=.venv/share/jupyter/lab/settings/overrides.json
if [ ! -e "$overrides" ]; then
  mkdir -p "$(dirname "$overrides")"
  cat > "$overrides" <<'EOF'
{
  "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": false}
}
EOF
fi

# Containers often run as root; Jupyter refuses to unless told.
root_flag=()
if [ "$(id -u)" -eq 0 ]; then root_flag=(--allow-root); fi

echo "lab: starting JupyterLab on http://127.0.0.1:$port in $course_root (Ctrl+C twice to stop)"
cd "$course_root"
# Nor does the server itself fetch news or look for updates.
exec "$jupyter" lab \
  --ServerApp.ip=127.0.0.1 \
  --ServerApp.port="$port" \
  --ServerApp.port_retries=0 \
  --ServerApp.open_browser=False \
  --ServerApp.root_dir="$course_root" \
  --LabApp.default_url=/lab/tree/course \
  --LabApp.news_url=None \
  --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate \
  "${root_flag[@]}"
