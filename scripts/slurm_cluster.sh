#!/usr/bin/env bash
# The project's REAL local Slurm test cluster: munge + slurmctld + two virtual slurmd nodes
# (node1, node2) on this one machine, with fake GPUs. See docs/local_slurm.md.
#
#   scripts/slurm_cluster.sh start|stop|status|restart
#
# Needs root and the packages from scripts/install.d/10-slurm.sh; works without systemd.
# Config: /etc/slurm/slurm.conf + gres.conf (the default path, so sbatch/squeue need no SLURM_CONF).
# State, spool, logs and pid files: $NSL_SLURM_HOME (default /var/lib/nsl-slurm).
# Tunables (environment): NSL_SLURM_CPUS (CPUs advertised per node, default 8),
# NSL_SLURM_MEM_MB (RealMemory per node, default 40% of the machine's RAM),
# NSL_SLURM_START_TIMEOUT (seconds to wait for both nodes idle, default 60).
set -euo pipefail

HOME_DIR=${NSL_SLURM_HOME:-/var/lib/nsl-slurm}
CONF_DIR=/etc/slurm
NODES=(node1 node2)
NODE_PORTS=(17001 17002)
GPUS_PER_NODE=4
CPUS=${NSL_SLURM_CPUS:-8}
START_TIMEOUT=${NSL_SLURM_START_TIMEOUT:-60}
USE_CGROUP=${NSL_SLURM_CGROUP:-0}
MUNGE_PID=/run/munge/munged.pid
CTLD_PID=$HOME_DIR/run/slurmctld.pid
LOG=$HOME_DIR/log

die() { echo "slurm_cluster: ERROR: $*" >&2; exit 1; }
say() { echo "slurm_cluster: $*"; }

node_pidfile() { echo "$HOME_DIR/run/slurmd-$1.pid"; }

# pid from a pid file if that process is alive, else nothing.
live_pid() {
  local f=$1 pid
  [ -s "$f" ] || return 1
  pid=$(cat "$f" 2>/dev/null) || return 1
  # /proc, not kill -0: `status` also works for non-root users.
  [[ $pid =~ ^[0-9]+$ ]] && [ -d "/proc/$pid" ] && echo "$pid"
}

default_mem_mb() {
  local kb
  kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
  echo $(( kb / 1024 * 40 / 100 ))
}

write_config() {
  local mem=${NSL_SLURM_MEM_MB:-$(default_mem_mb)}
  mkdir -p "$CONF_DIR"
  local PROCTRACK=proctrack/linuxproc TASKPLUGIN=task/none
  if [ "$USE_CGROUP" = 1 ]; then
    # cgroup v1: --mem is enforced (OUT_OF_MEMORY) and escaped children are killed at job end.
    # No ConstrainDevices: the fake GPUs share /dev/null's device number.
    PROCTRACK=proctrack/cgroup TASKPLUGIN=task/cgroup
    printf 'CgroupPlugin=cgroup/v1\nConstrainRAMSpace=yes\n' >"$CONF_DIR/cgroup.conf"
  else
    rm -f "$CONF_DIR/cgroup.conf"
  fi
  cat >"$CONF_DIR/slurm.conf" <<EOF
# Written by nemo_skills_lite scripts/slurm_cluster.sh -- regenerated on every start, do not edit.
ClusterName=nsl-ci
SlurmctldHost=localhost
SlurmctldPort=6817
SlurmdPort=6818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CryptoType=crypto/munge
MpiDefault=none
ProctrackType=$PROCTRACK
TaskPlugin=$TASKPLUGIN
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
DefMemPerCPU=256
GresTypes=gpu
SchedulerType=sched/backfill
SchedulerParameters=bf_interval=1
SlurmdParameters=config_overrides
ReturnToService=2
MaxArraySize=4001
MaxJobCount=50000
MinJobAge=3600
KillWait=5
InactiveLimit=0
MailProg=/bin/true
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$LOG/jobcomp.txt
StateSaveLocation=$HOME_DIR/state
SlurmdSpoolDir=$HOME_DIR/spool/d_%n
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$HOME_DIR/run/slurmd-%n.pid
SlurmctldLogFile=$LOG/slurmctld.log
SlurmdLogFile=$LOG/slurmd-%n.log
SlurmctldDebug=info
SlurmdDebug=info
EOF
  local i
  for i in "${!NODES[@]}"; do
    echo "NodeName=${NODES[$i]} NodeHostname=localhost NodeAddr=127.0.0.1 Port=${NODE_PORTS[$i]} CPUs=$CPUS RealMemory=$mem Gres=gpu:$GPUS_PER_NODE State=UNKNOWN" >>"$CONF_DIR/slurm.conf"
  done
  local all
  all=$(IFS=,; echo "${NODES[*]}")
  cat >>"$CONF_DIR/slurm.conf" <<EOF
PartitionName=gpu Nodes=$all Default=YES MaxTime=INFINITE State=UP
PartitionName=cpu Nodes=$all Default=NO MaxTime=INFINITE State=UP
EOF
  : >"$CONF_DIR/gres.conf"
  for i in "${!NODES[@]}"; do
    echo "NodeName=${NODES[$i]} Name=gpu File=/dev/fakegpu[0-$((GPUS_PER_NODE - 1))]" >>"$CONF_DIR/gres.conf"
  done
  chmod 644 "$CONF_DIR/slurm.conf" "$CONF_DIR/gres.conf"
}

# Fake GPU device files: a count-only gres/gpu is dropped by slurmd (node INVAL); File= needs
# character devices. c 1 3 is /dev/null's device number, so they are harmless.
make_fake_gpus() {
  local g
  for g in $(seq 0 $((GPUS_PER_NODE - 1))); do
    [ -c "/dev/fakegpu$g" ] || { rm -f "/dev/fakegpu$g"; mknod -m 666 "/dev/fakegpu$g" c 1 3; }
  done
}

start_munge() {
  mkdir -p /run/munge
  chown munge:munge /run/munge
  chmod 755 /run/munge
  if ! live_pid "$MUNGE_PID" >/dev/null; then
    runuser -u munge -- /usr/sbin/munged || die "munged did not start (see /var/log/munge/munged.log)"
  fi
  local t
  for t in $(seq 50); do
    munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  die "munge does not answer: $(tail -n 5 /var/log/munge/munged.log 2>/dev/null)"
}

# Node states as "name state" lines; empty if slurmctld does not answer.
node_states() { sinfo -h -N -o '%N %T' 2>/dev/null | sort -u; }

# 0 when every node answers and is usable (idle, mixed or allocated; no down/drain/inval flags).
nodes_up() {
  local want=${1:-usable} states n ok=0
  states=$(node_states) || return 1
  for n in "${NODES[@]}"; do
    local st
    st=$(awk -v n="$n" '$1 == n {print $2}' <<<"$states")
    case "$want:$st" in
      idle:idle) ;;
      usable:idle | usable:mixed | usable:allocated | usable:completing) ;;
      *) ok=1 ;;
    esac
  done
  return $ok
}

all_daemons_alive() {
  live_pid "$MUNGE_PID" >/dev/null || return 1
  live_pid "$CTLD_PID" >/dev/null || return 1
  local n
  for n in "${NODES[@]}"; do live_pid "$(node_pidfile "$n")" >/dev/null || return 1; done
}

log_tails() {
  local f
  for f in "$LOG/slurmctld.log" "$LOG"/slurmd-*.log /var/log/munge/munged.log; do
    [ -f "$f" ] || continue
    echo "---- last lines of $f" >&2
    tail -n 15 "$f" >&2
  done
}

# Stop one daemon by its pid file: TERM, wait up to $2 s, then KILL.
stop_pidfile() {
  local f=$1 wait_s=${2:-10} pid i
  pid=$(live_pid "$f") || { rm -f "$f"; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq $((wait_s * 10))); do
    [ -d "/proc/$pid" ] || { rm -f "$f"; return 0; }
    sleep 0.1
  done
  say "pid $pid ($f) ignored SIGTERM for ${wait_s}s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$f"
}

cmd_start() {
  [ "$(id -u)" = 0 ] || die "start needs root (it starts munged, slurmctld and slurmd)"
  local b
  for b in munged slurmctld slurmd sbatch sinfo; do
    command -v "$b" >/dev/null || [ -x "/usr/sbin/$b" ] ||
      die "$b not found: run scripts/install.d/10-slurm.sh first"
  done
  if all_daemons_alive && nodes_up usable; then
    say "already running"
    cmd_status
    return 0
  fi
  # Anything half-up is stopped first, so a start always ends in one known configuration.
  stop_slurm_daemons
  [[ $CPUS =~ ^[1-9][0-9]*$ ]] || die "NSL_SLURM_CPUS='$CPUS' is not a positive integer"
  [[ ${NSL_SLURM_MEM_MB:-1} =~ ^[1-9][0-9]*$ ]] || die "NSL_SLURM_MEM_MB='$NSL_SLURM_MEM_MB' is not a positive integer (MB)"
  [[ $START_TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "NSL_SLURM_START_TIMEOUT='$START_TIMEOUT' is not a positive integer (s)"
  local t0=$SECONDS
  make_fake_gpus
  mkdir -p "$HOME_DIR"/{run,log,spool}
  # Node state (e.g. DRAIN) and old jobs survive restarts in StateSaveLocation: wipe it every start.
  rm -rf "$HOME_DIR/state" "$HOME_DIR"/spool/d_*
  mkdir -p "$HOME_DIR/state"
  local n
  for n in "${NODES[@]}"; do mkdir -p "$HOME_DIR/spool/d_$n"; done
  # Job ids restart at 1 with the wiped state: keep the previous run's logs as *.prev, start clean.
  local f
  for f in "$LOG"/*.log "$LOG"/jobcomp.txt; do if [ -f "$f" ]; then mv -f "$f" "$f.prev"; fi; done
  chmod 755 "$HOME_DIR" "$HOME_DIR"/{run,log,spool,state}
  write_config
  start_munge
  /usr/sbin/slurmctld -i || { log_tails; die "slurmctld did not start"; }
  for n in "${NODES[@]}"; do
    /usr/sbin/slurmd -N "$n" || { log_tails; die "slurmd -N $n did not start"; }
  done
  local deadline=$((SECONDS + START_TIMEOUT))
  until nodes_up idle; do
    if [ $SECONDS -ge $deadline ]; then
      echo "slurm_cluster: nodes not idle after ${START_TIMEOUT}s; sinfo says:" >&2
      sinfo -N -o '%N %T %E' >&2 || echo "(slurmctld does not answer)" >&2
      log_tails
      die "cluster did not come up (logs in $LOG)"
    fi
    sleep 0.5
  done
  say "started in $((SECONDS - t0))s: ${NODES[*]} idle, ${CPUS} CPUs and $GPUS_PER_NODE fake GPUs each; logs in $LOG"
  cmd_status
}

stop_slurm_daemons() {
  local n
  # Cancel jobs first so their scripts do not outlive the cluster (linuxproc does not kill orphans).
  if live_pid "$CTLD_PID" >/dev/null; then
    local ids
    ids=$(squeue -h -o %A 2>/dev/null || true)
    if [ -n "$ids" ]; then
      # shellcheck disable=SC2086
      scancel $ids 2>/dev/null || true
      sleep 1
    fi
  fi
  for n in "${NODES[@]}"; do stop_pidfile "$(node_pidfile "$n")" 15; done
  stop_pidfile "$CTLD_PID" 15
}

cmd_stop() {
  [ "$(id -u)" = 0 ] || die "stop needs root"
  stop_slurm_daemons
  stop_pidfile "$MUNGE_PID" 10
  say "stopped"
}

cmd_status() {
  local rc=0 n pid
  pid=$(live_pid "$MUNGE_PID") && say "munged     running (pid $pid)" || { say "munged     NOT running"; rc=1; }
  pid=$(live_pid "$CTLD_PID") && say "slurmctld  running (pid $pid)" || { say "slurmctld  NOT running"; rc=1; }
  for n in "${NODES[@]}"; do
    pid=$(live_pid "$(node_pidfile "$n")") && say "slurmd $n running (pid $pid)" ||
      { say "slurmd $n NOT running"; rc=1; }
  done
  if [ $rc = 0 ]; then
    sinfo -o '%P %a %D %T %N %G %c %m' 2>/dev/null || { say "sinfo: slurmctld does not answer"; rc=1; }
    nodes_up usable || { say "a node is not usable (down/drain/inval): see sinfo -R"; rc=1; }
  fi
  return $rc
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  restart) cmd_stop; cmd_start ;;
  *) echo "usage: $0 start|stop|status|restart" >&2; exit 2 ;;
esac
