#!/usr/bin/env bash
# Starts and stops the project's background services by recorded process ids.
#
#   scripts/svc.sh start NAME PORT READY_URL -- COMMAND...
#       refuses if NAME is running or PORT is taken; starts COMMAND in its own
#       session with output in $RUN_DIR/NAME.log, its pid in $RUN_DIR/NAME.pid;
#       returns once READY_URL answers (or fails with the log's tail).
#   scripts/svc.sh launch NAME PORT -- COMMAND...
#       the same checks and start, without waiting
#   scripts/svc.sh ready NAME READY_URL
#       returns once READY_URL answers (or fails with the log's tail)
#   scripts/svc.sh stop NAME      ends NAME's whole process group
#   scripts/svc.sh status NAME    exit 0 when NAME is running
set -euo pipefail

RUN_DIR=${RUN_DIR:-.run}
START_TIMEOUT_S=${START_TIMEOUT_S:-180}

pid_file() { echo "$RUN_DIR/$1.pid"; }

running() {
  local file pid
  file=$(pid_file "$1")
  [[ -f $file ]] || return 1
  pid=$(<"$file")
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null
}

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

answers() { curl --silent --max-time 2 --output /dev/null "$1"; }

show_log() {
  echo "--- last lines of $RUN_DIR/$1.log ---" >&2
  tail -n 40 "$RUN_DIR/$1.log" >&2 || true
}

launch() {
  local name=$1 port=$2
  shift 2
  [[ ${1:-} == "--" ]] && shift
  mkdir -p "$RUN_DIR"
  if running "$name"; then
    echo "$name is already running (pid $(<"$(pid_file "$name")")); 'make stop' ends it." >&2
    return 1
  fi
  if port_taken "$port"; then
    echo "Port $port is already in use, so $name cannot start. Stop what uses it ('make stop' if it is ours), or choose another port (RASA_PORT=..., ACTIONS_PORT=..., NLU_PORT=...)." >&2
    return 1
  fi
  setsid "$@" >"$RUN_DIR/$name.log" 2>&1 </dev/null &
  echo $! >"$(pid_file "$name")"
}

ready() {
  local name=$1 url=$2
  local deadline=$((SECONDS + START_TIMEOUT_S))
  until answers "$url"; do
    if ! running "$name"; then
      echo "$name exited while starting." >&2
      show_log "$name"
      rm -f "$(pid_file "$name")"
      return 1
    fi
    if ((SECONDS >= deadline)); then
      echo "$name did not answer at $url within ${START_TIMEOUT_S}s." >&2
      show_log "$name"
      stop "$name"
      return 1
    fi
    sleep 0.5
  done
  echo "$name is up at $url (pid $(<"$(pid_file "$name")"), log in $RUN_DIR/$name.log)"
}

start() {
  local name=$1 port=$2 url=$3
  shift 3
  launch "$name" "$port" "$@"
  ready "$name" "$url"
}

# ended PID TICKS: waits up to TICKS quarter-seconds for PID to exit.
ended() {
  local _
  for _ in $(seq 1 "$2"); do
    kill -0 "$1" 2>/dev/null || return 0
    sleep 0.25
  done
  ! kill -0 "$1" 2>/dev/null
}

stop() {
  local name=$1 file pid
  file=$(pid_file "$name")
  if ! running "$name"; then
    rm -f "$file"
    return 0
  fi
  pid=$(<"$file")
  # The service leads its own process group (setsid). Its leader first: a
  # server with workers (Sanic's) ends them in order; a signal to each worker
  # besides interrupts their cleanup. Then whatever is left of the group.
  kill -TERM "$pid" 2>/dev/null || true
  if ! ended "$pid" 60; then
    kill -TERM -- "-$pid" 2>/dev/null || true
    if ! ended "$pid" 20; then
      echo "$name (pid $pid) ignored SIGTERM for 20s; killing it." >&2
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  # Workers the leader left behind.
  kill -TERM -- "-$pid" 2>/dev/null || true
  rm -f "$file"
  echo "$name stopped"
}

case ${1:-} in
  start) shift; start "$@" ;;
  launch) shift; launch "$@" ;;
  ready) shift; ready "$1" "$2" ;;
  stop) shift; stop "$1" ;;
  status) shift; running "$1" ;;
  *) echo "usage: $0 start NAME PORT READY_URL -- COMMAND... | launch NAME PORT -- COMMAND... | ready NAME READY_URL | stop NAME | status NAME" >&2; exit 2 ;;
esac
