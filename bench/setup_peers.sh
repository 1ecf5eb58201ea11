#!/usr/bin/env bash
# Create bench/.venv-peers with nomenklatura (OpenSanctions' matchers) from PyPI, for running the
# peer matchers in a separate interpreter when they cannot be installed beside listguard.
#
# Usually not needed: nomenklatura 4.17.4 installs cleanly next to listguard's pins
# (followthemoney 4.11.2, rigour 2.6.1), so `pip install -e '.[bench]'` is enough and the
# evaluation runs the peers in-process. The evaluation falls back to this venv automatically
# (src/listguard/evaluation/peers.py) when nomenklatura is not importable in-process.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
VENV="$HERE/.venv-peers"
PYTHON="${PYTHON:-python3}"
NOMENKLATURA="${NOMENKLATURA_VERSION:-4.17.4}"

"$PYTHON" -m venv "$VENV"
"$VENV/bin/pip" install --quiet --upgrade pip
"$VENV/bin/pip" install --quiet "nomenklatura==$NOMENKLATURA"
echo '{"op": "score", "algorithms": ["logic-v2", "logic-v1", "ofac"], "pairs": [[{"schema": "Person", "properties": {"name": ["Vladimir Putin"]}}, {"schema": "Person", "properties": {"name": ["PUTIN, Vladimir Vladimirovich"]}}]]}' \
  | "$VENV/bin/python" "$HERE/../src/listguard/evaluation/peers.py" > /dev/null
echo "peer venv ready: $VENV (nomenklatura $NOMENKLATURA)"
