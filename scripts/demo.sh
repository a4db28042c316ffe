#!/usr/bin/env bash
# make demo: apply examples/demo with the provider built from this checkout, which generates the
# images, saves them into demo-output/ with apimart_image_file and stores them in a file:// bucket
# under demo-output/bucket/ with apimart_image_object, and show what Terraform recorded. Then plan
# from a fresh working directory that has the state only, as the next CI runner would.
#
# Without APIMART_API_KEY it runs against the fake API (internal/cmd/apimart-fake) on a loopback
# port: free, offline, and from an empty state every run. With APIMART_API_KEY set it calls the
# real API, which charges per image; that state is kept in .demo/real so a second run costs nothing.
#
# Knobs: DEMO_TASK_DURATION and DEMO_IMAGE_SCALE (fake only, default 3s and 0.5), APIMART_BASE_URL
# (real only).
set -euo pipefail
source "$(dirname "$0")/dev-overrides.sh"

root=$provider_module_root
work="$root/.demo"
bin="$work/bin"
out="$root/demo-output"
bucket="file://$out/bucket"
log="$work/provider.log"
task_duration=${DEMO_TASK_DURATION:-3s}
# Half the models' real pixel size: large enough to read the prompt drawn on each image.
image_scale=${DEMO_IMAGE_SCALE:-0.5}

fake_pid=""
follower_pid=""

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

stop_started_processes() {
  if [[ -n $follower_pid ]]; then kill "$follower_pid" 2>/dev/null || true; fi
  if [[ -n $fake_pid ]] && command -v curl >/dev/null; then
    kill "$fake_pid" 2>/dev/null || true
    wait "$fake_pid" 2>/dev/null || true
  fi
}
trap stop_started_processes EXIT

build_binaries() {
  say "Building the provider and the fake API"
  mkdir -p "$bin"
  (cd "$root" &&
    build_provider "$bin" &&
    go build -o "$bin/apimart-fake" ./internal/cmd/apimart-fake)
}

# start_fake runs the fake on a free loopback port and waits for the base URL it prints first.
start_fake() {
  local key="sk-demo-$RANDOM$RANDOM" url_file="$work/fake.url"
  : >"$url_file"
  "$bin/apimart-fake" -listen 127.0.0.1:0 -keys "$key" -task-duration "$task_duration" -image-scale "$image_scale" \
    >"$url_file" 2>"$work/fake.log" &
  fake_pid=$!
  for _ in $(seq 100); do
    if [[ $(wc -l <"$url_file") -ge 1 ]]; then break; fi
    kill -0 "$fake_pid" 2>/dev/null || { cat "$work/fake.log" >&2; die "the fake API exited before it was ready"; }
    sleep 0.1
  done
  APIMART_BASE_URL=$(head -n 1 "$url_file")
  [[ $APIMART_BASE_URL == http://127.0.0.1:* ]] || die "the fake API printed no base URL (got '$APIMART_BASE_URL')"
  export APIMART_BASE_URL APIMART_API_KEY="$key"
  say "Fake APIMart API on $APIMART_BASE_URL (pid $fake_pid, tasks take $task_duration; request log in .demo/fake.log)"
}

warn_real_api() {
  local base=${APIMART_BASE_URL:-https://api.apimart.ai}
  printf '\n\033[1;33mAPIMART_API_KEY is set: this demo calls the real API at %s.\n' "$base"
  printf 'It generates 5 images, which costs money. Press Ctrl-C within 5 seconds to stop.\033[0m\n'
  sleep 5
}

# prepare_workdir copies examples/demo into a working directory. The fake forgets its tasks when
# it stops, so its state must start empty; the real API's state is kept to avoid paying twice.
prepare_workdir() {
  local dir=$1 fresh=$2
  if [[ $fresh == yes ]]; then rm -rf "$dir"; fi
  mkdir -p "$dir"
  rm -f "$dir"/*.tf
  cp "$root"/examples/demo/*.tf "$dir"/
}

write_cli_config() {
  write_dev_overrides "$work/terraform.rc" apimart/apimart "$bin"
  export TF_CLI_CONFIG_FILE="$work/terraform.rc" CHECKPOINT_DISABLE=1
}

# show_progress turns the provider's own info-level log lines into one short line each; lines
# logged from inside the plugin libraries (the framework's defaults, mTLS set-up) are left out.
show_progress() {
  sed -u -n -E \
    -e '/@caller=/!d' \
    -e '/@caller=[^ ]*\/hashicorp\//d' \
    -e '/\[(INFO|WARN|ERROR)\] +provider\.terraform-provider-apimart: /!d' \
    -e 's/^.*provider\.terraform-provider-apimart: //' \
    -e 's/ (@[a-z_]+|tf_[a-z_]+|timestamp)=[^ ]*//g' \
    -e '/ is [a-z_]+ \([0-9]+%\)/s/ (task_id|status|progress)=[^ ]*//g' \
    -e '/^saved image file /s/ (path|bytes|sha256)=[^ ]*//g' \
    -e 's/:$//' \
    -e 's/^/    provider: /p'
}

# apply saves the images into demo-output/ through apimart_image_file and stores them in the
# bucket. The fake's state starts empty, so its old files and objects go first; the real API's
# stay, and an intact file or object costs nothing.
apply() {
  local dir=$1 fresh=$2
  mkdir -p "$out"
  if [[ $fresh == yes ]]; then rm -rf "$out"/*.png "$out/bucket"; fi
  say "terraform apply in ${dir#"$root"/} (no terraform init: the provider comes from dev_overrides)"
  : >"$log"
  tail -n +1 -F "$log" 2>/dev/null > >(show_progress) &
  follower_pid=$!
  # output_dir is relative to the working directory, two levels below the repository.
  TF_LOG_PROVIDER=INFO TF_LOG_PATH="$log" terraform -chdir="$dir" apply -auto-approve -input=false \
    -var "output_dir=../../${out#"$root"/}" -var "bucket=$bucket"
  sleep 0.5 # let the follower print the last lines it has not read yet
  kill "$follower_pid" 2>/dev/null || true
  follower_pid=""
}

show_files() {
  local dir=$1
  say "Image files saved into demo-output/ by apimart_image_file"
  terraform -chdir="$dir" output -raw files
  echo
}

show_objects() {
  local dir=$1
  say "Objects stored in the bucket $bucket by apimart_image_object"
  terraform -chdir="$dir" output -raw objects
  echo
}

# plan_as_next_runner copies the configuration and the state, nothing else, into a new working
# directory, as the next CI runner has them (the state from a remote backend, a fresh checkout),
# and plans there. The same relative output_dir resolves to a directory under .demo/ that holds
# no file, as a new runner's disk holds none; the bucket is the same bucket.
plan_as_next_runner() {
  local dir=$1 runner="$work/next-runner/checkout" plan_text="$work/next-runner/plan.txt"
  rm -rf "$work/next-runner" "$work/demo-output"
  mkdir -p "$runner"
  cp "$root"/examples/demo/*.tf "$dir/terraform.tfstate" "$runner"/
  say "The next CI runner: a fresh directory with the state only (${runner#"$root"/}), terraform plan"
  if [[ -n $fake_pid ]] && command -v curl >/dev/null; then curl -fsS -X POST "$APIMART_BASE_URL/_fake/reset-counters" >/dev/null; fi
  terraform -chdir="$runner" plan -input=false -no-color \
    -var "output_dir=../../${out#"$root"/}" -var "bucket=$bucket" >"$plan_text"
  local objects files unknown
  objects=$(grep -c '^  # apimart_image_object\.' "$plan_text" || true)
  files=$(grep -E '^  # apimart_image_file\.' "$plan_text" || true)
  unknown=$(grep -c '(known after apply)' "$plan_text" || true)
  if [[ $objects == 0 ]]; then
    echo "    apimart_image_object: no change, every object is intact in the bucket"
  else
    echo "    apimart_image_object: $objects planned change(s), see the plan"
  fi
  echo "    apimart_image_file (the files are not on this runner's disk):"
  sed 's/^  #/     /' <<<"$files"
  echo "    attributes (known after apply) in the whole plan: $unknown"
  grep -E '^Plan:|^No changes' "$plan_text" | sed 's/^/    /'
  say "The plan of apimart_image_file.hero on that runner"
  sed -n '/^  # apimart_image_file.hero will/,/^    }/p' "$plan_text"
  echo "    (the whole plan is in ${plan_text#"$root"/})"
  if [[ -n $fake_pid ]] && command -v curl >/dev/null; then
    say "What the fake API counted during that plan (no submit; a HEAD per missing file to see that its URL serves)"
    curl -fsS "$APIMART_BASE_URL/_fake/counters"
    echo
  fi
}

show_summary() {
  local dir=$1
  say "Task ids (kept in state from the moment each task was submitted)"
  terraform -chdir="$dir" output task_ids
  if [[ -n $fake_pid ]] && command -v curl >/dev/null; then
    say "What the fake API counted (one submit per image resource, one download per file and per object, none carrying the key)"
    curl -fsS "$APIMART_BASE_URL/_fake/counters"
    echo
  fi
}

main() {
  cd "$root"
  command -v go >/dev/null || die "go is not on PATH"
  command -v terraform >/dev/null || die "terraform is not on PATH"
  mkdir -p "$work"
  build_binaries

  local dir fresh
  if [[ -n ${APIMART_API_KEY:-} ]]; then
    warn_real_api
    dir="$work/real" fresh=no
  else
    start_fake
    dir="$work/fake" fresh=yes
  fi
  prepare_workdir "$dir" "$fresh"
  write_cli_config
  apply "$dir" "$fresh"
  show_files "$dir"
  show_objects "$dir"
  show_summary "$dir"
  plan_as_next_runner "$dir"
  say "Done. Open the PNGs in demo-output/."
}

main "$@"
