#!/usr/bin/env bash
# Records how long the steps of a `make test` take, for `make test-profile`.
#
#   scripts/step.sh reset         forgets the steps of the previous run
#   scripts/step.sh begin NAME    NAME starts now
#   scripts/step.sh end NAME      NAME has ended: appends "NAME<TAB>seconds"
#                                 to $PROFILE_DIR/steps.tsv
#
# Steps that make skips (an environment already set up) leave no line.
set -euo pipefail

PROFILE_DIR=${PROFILE_DIR:-results/test-profile}

now() { date +%s.%N; }

case ${1:-} in
  reset)
    rm -rf "$PROFILE_DIR"
    mkdir -p "$PROFILE_DIR"
    now >"$PROFILE_DIR/started"
    ;;
  begin)
    mkdir -p "$PROFILE_DIR"
    now >"$PROFILE_DIR/$2.begin"
    ;;
  end)
    begin=$(cat "$PROFILE_DIR/$2.begin" 2>/dev/null || echo "")
    [[ -n $begin ]] || exit 0
    awk -v name="$2" -v b="$begin" -v e="$(now)" \
      'BEGIN { printf "%s\t%.1f\n", name, e - b }' >>"$PROFILE_DIR/steps.tsv"
    rm -f "$PROFILE_DIR/$2.begin"
    ;;
  *)
    echo "usage: $0 reset | begin NAME | end NAME" >&2
    exit 2
    ;;
esac
