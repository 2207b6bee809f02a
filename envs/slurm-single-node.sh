#!/usr/bin/env bash
# A one-node SLURM with one fake GPU on this machine, for trying the SLURM profile and for
# tests/test_slurm.py (recipe: ../shared/notes/slurm-single-node.md; Debian 12, slurm-wlm 22.05).
#   sudo bash envs/slurm-single-node.sh              # apt-get install slurm-wlm munge if missing, then configure
#   sudo bash envs/slurm-single-node.sh --configure  # configure only (envs/system-setup.sh installs)
# It installs and configures; it starts nothing. Start the daemons yourself (the test fixture does
# the same and stops them by their pids):
#   runuser -u munge -- /usr/sbin/munged --force && slurmctld && slurmd && sinfo   # node "idle"
# What it writes: /etc/slurm/slurm.conf (this node: `hostname -s`, `nproc` CPUs, memory a bit under
# `free -m`, partition "main", default), /etc/slurm/gres.conf (one GPU "fake" backed by /dev/null:
# a GPU request is really scheduled, the job sees CUDA_VISIBLE_DEVICES=0, torch finds no CUDA), and
# a munge key when there is none. No cgroups, no systemd, no accounting (sacct answers "disabled":
# use `--slurm-status-command squeue`).
set -euo pipefail
configure_only=0
if [ "${1:-}" = "--configure" ]; then configure_only=1; fi

if [ "$(id -u)" != 0 ]; then
    echo "[slurm-single-node] skipped: needs root" >&2
    exit 0
fi

missing=()
for p in slurm-wlm munge; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$configure_only" = 1 ] || ! command -v apt-get >/dev/null; then
        echo "[slurm-single-node] not installed: ${missing[*]}; nothing configured" >&2
        exit 0
    fi
    echo "[slurm-single-node] apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
fi

host=$(hostname -s)
cpus=$(nproc)
total_mb=$(free -m | awk '/^Mem:/ {print $2}')
real_mb=$(( total_mb * 9 / 10 ))   # a bit under what the kernel reports, or slurmd marks the node INVAL

mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
cat > /etc/slurm/slurm.conf <<EOF
# Written by infantfer's envs/slurm-single-node.sh: one node, one fake GPU, no accounting.
ClusterName=infantfer
SlurmctldHost=${host}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CryptoType=crypto/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
ReturnToService=2
# squeue (the status command without accounting) must still see a finished job when asked
MinJobAge=300
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
GresTypes=gpu
NodeName=${host} CPUs=${cpus} RealMemory=${real_mb} Gres=gpu:fake:1 State=UNKNOWN
PartitionName=main Nodes=${host} Default=YES MaxTime=INFINITE State=UP
EOF
cat > /etc/slurm/gres.conf <<EOF
# A fake GPU: File=/dev/null gives SLURM a device to hand out (Count alone puts the node in INVAL).
AutoDetect=off
NodeName=${host} Name=gpu Type=fake File=/dev/null
EOF

mkdir -p /etc/munge /var/lib/munge /var/log/munge /run/munge
if [ ! -s /etc/munge/munge.key ]; then
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
fi
chown munge:munge /etc/munge/munge.key /etc/munge /var/lib/munge /var/log/munge /run/munge
chmod 400 /etc/munge/munge.key
chmod 700 /etc/munge /var/lib/munge /var/log/munge
chmod 755 /run/munge

echo "[slurm-single-node] configured: node ${host}, ${cpus} CPUs, ${real_mb} MB, gpu:fake:1, partition main"
