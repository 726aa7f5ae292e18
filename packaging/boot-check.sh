# shellcheck shell=bash disable=SC2154  # R, T, deb_in: set by package-check.sh
# The installed package under a real systemd: a Debian 12 root booted by
# `systemd-nspawn --boot` (systemd as PID 1, journald, no network), goniec.service started
# by it as in production, with the shipped example drop-in (import-share.conf) and a test
# drop-in that shortens the watchdog. Cases:
#
#   the service reaches ready (Type=notify), its STATUS= shows; a scheduled run and a
#   `goniec fetch` by a member of the goniec group file documents and the forwarder
#   delivers them to a folder route; `systemctl reload` with a broken conf.d fails and a
#   SIGHUP is refused, the old configuration stays in force; the journal keeps goniec's
#   priorities; `systemctl stop` during a run stops it at a safe point and the next start
#   finishes the run, every document filed and delivered exactly once; a hung master
#   (SIGSTOP) is killed by the watchdog and restarted.
#
# Sourced by package-check.sh after its chroot helpers (new_root, in_root, dpkg_in...),
# lib.sh's pass/fail/check and $deb_in; sets nothing the rest of it uses. On this machine's kind there is no systemd on
# the host (PID 1 is the sandbox's own process) and no D-Bus, so nspawn runs with
# --register=no (no machined) and --keep-unit (no scope unit over the host's bus; without
# it: "Failed to open system bus"). It then puts the container's cgroups under its own,
# which for every process here is the root of each hierarchy: two containers at once
# would share /payload and kill each other's services, so each runs in a cgroup of its
# own (boot_cgroups).

# The cgroup directories for this boot: a child of our cgroup in each hierarchy systemd
# uses (the named v1 "systemd" one of a hybrid host, and the unified v2 one).
boot_cgroups() { # name
	local hier path mnt
	while IFS=: read -r _ hier path; do
		case $hier in
		name=systemd) mnt=/sys/fs/cgroup/systemd ;;
		"") mnt=/sys/fs/cgroup/unified
			[ -e /sys/fs/cgroup/cgroup.procs ] && mnt=/sys/fs/cgroup ;;
		*) continue ;;
		esac
		echo "$mnt${path%/}/$1"
	done </proc/self/cgroup
}

# boot_start — boot $R in the background; B_NSPAWN is nspawn's pid, B_INIT the
# container's PID 1 (as the host sees it), its console in $T/boot.log.
boot_start() {
	local name=goniec-pkgtest-$$ cgs cg
	cgs=$(boot_cgroups "$name")
	at_exit "boot_remove_cgroups ${cgs//$'\n'/ }"
	(
		for cg in $cgs; do
			mkdir -p "$cg" && echo "$BASHPID" >"$cg/cgroup.procs" || exit 1
		done
		exec systemd-nspawn --quiet --directory="$R" --machine="$name" --boot \
			--register=no --keep-unit --private-network --console=read-only
	) </dev/null >"$T/boot.log" 2>&1 &
	B_NSPAWN=$!
	at_exit "boot_stop"
	wait_for 20 boot_init_found
}
boot_remove_cgroups() { # dir... — what the container left in them
	local cg
	for cg; do [ -d "$cg" ] && find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null; done
	return 0
}
boot_init_found() {
	B_INIT=$(pgrep -P "$B_NSPAWN" -x systemd) && [ -n "$B_INIT" ]
}
# boot_stop — shut the container down as a host would (SIGTERM to nspawn: a clean halt).
# Returns nspawn's exit status: 0 when the container halted by itself in time.
boot_stop() {
	kill -0 "$B_NSPAWN" 2>/dev/null || return 0
	kill -TERM "$B_NSPAWN"
	wait_for 60 sh -c "! kill -0 $B_NSPAWN" || kill -KILL "$B_NSPAWN"
	wait "$B_NSPAWN" 2>/dev/null
}
# in_boot COMMAND... — run it inside the running container (all its namespaces).
in_boot() {
	nsenter --target="$B_INIT" --all env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"
}
as_anna() { in_boot setpriv --reuid=anna --regid=anna --init-groups "$@"; }
unit_prop() { in_boot systemctl show --property="$1" --value goniec.service; }
# The journal's PRIORITY of goniec's first message matching the extended regex.
journal_priority() {
	in_boot journalctl -u goniec.service -t goniec -o json --output-fields=PRIORITY,MESSAGE |
		grep -E "\"MESSAGE\":\"$1" | head -1 | grep -oE '"PRIORITY":"[0-7]"' | tr -dc 0-7
}
journal_has() { in_boot journalctl -u goniec.service -o cat | grep -qE "$1"; }
spooled() { find "$R/var/spool/goniec" -path "*/$1/*" -name '*.meta.json' ! -name '.goniec-tmp-*' | wc -l; }
delivered() { find "$R/srv/import" -name "$1-*.pdf" | wc -l; }
filed_and_delivered() { [ "$(spooled "$1")" -eq "$2" ] && [ "$(delivered "$1")" -eq "$2" ]; }
# some_written SOURCE — a document of SOURCE is in the spool (its sidecar may still be
# waiting for the end of its batch); a function, so that wait_for looks again on each try
some_written() { find "$R/var/spool/goniec" -path "*/$1/*" -name "$1-*.pdf" | grep -q .; }
# The 'slow' source has enough documents (each one through the PDF text worker) for a
# run to be stopped in its middle. The agent's stop_grace is set to 0 for it: with the
# default 10 s, a fast machine filed all 20,000 before the grace ended.
SLOW_DOCS=10000
scan() { # source number — a small distinct PDF in the source's folder, the service's
	printf '%%PDF-1.4\n%% %s %s\n%%%%EOF\n' "$1" "$2" >"$R/srv/scans/$1/$1-$2.pdf"
	chown "$B_IDS" "$R/srv/scans/$1/$1-$2.pdf"
}
scan_many() { # source count — documents 1..count as scan would write them, in one process
	python3 - "$R/srv/scans/$1" "$1" "$2" <<-'EOF'
	import os, sys
	folder, source, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
	for i in range(1, count + 1):
	    with open(os.path.join(folder, f"{source}-{i}.pdf"), "w") as f:
	        f.write(f"%PDF-1.4\n% {source} {i}\n%%EOF\n")
	EOF
}
fails() { ! "$@"; }
# check, and on a failure show the end of the unit's journal.
boot_case() {
	local d=$1; shift
	if "$@"; then pass "$d"; return; fi
	fail "$d"
	in_boot journalctl -u goniec.service -n 25 -o short-monotonic --no-pager | sed 's/^/    /'
}
restarted_after() { # pid — the watchdog's restart done: a new main process running
	[ "$(unit_prop NRestarts) $(unit_prop SubState)" = "1 running" ] && [ "$(unit_prop MainPID)" != "$1" ]
}
# The system's state once the boot is over: 0 running, 1 otherwise (shown), 2 no answer.
system_state() {
	local s
	s=$(in_boot timeout 60 systemctl is-system-running --wait 2>/dev/null)
	case $s in
	running) return 0 ;;
	"" | offline) return 2 ;;
	esac
	echo "    system state: $s"
	in_boot systemctl --failed --no-legend | sed 's/^/    /'
	return 1
}

boot_check() {
	new_root boot
	dpkg_in -i "$deb_in" >/dev/null || { fail "boot: dpkg -i"; return; }
	umount "$R/proc"
	in_root useradd --create-home --groups goniec anna
	B_IDS=$(in_root id -u goniec):$(in_root id -g goniec)
	local s i
	for s in sched asked slow; do mkdir -p "$R/srv/scans/$s"; done
	mkdir -p "$R/srv/import"
	for i in 1 2; do scan sched "$i"; scan asked "$i"; done
	scan_many slow "$SLOW_DOCS"
	chown -R "$B_IDS" "$R/srv/scans" "$R/srv/import"
	cat >"$R/etc/goniec/conf.d/boot.yaml" <<-'EOF'
	sources:
	  - {name: sched, type: folder, path: /srv/scans/sched, settle: 0s, schedule: {every: 2s}}
	  - {name: asked, type: folder, path: /srv/scans/asked, settle: 0s, schedule: manual}
	  - {name: slow, type: folder, path: /srv/scans/slow, settle: 0s, schedule: manual}
	routes:
	  - {name: import, folder: {path: /srv/import}}
	EOF
	# a stop cuts runs at once (at their next safe point), as an admin would set it
	printf '  stop_grace: 0s\n' >>"$R/etc/goniec/conf.d/agent.yaml"
	local dropins=$R/etc/systemd/system/goniec.service.d
	mkdir -p "$dropins"
	cp "$R/usr/share/doc/goniec/examples/import-share.conf" "$dropins/"
	printf '[Service]\nWatchdogSec=6s\nRestartSec=1s\nTimeoutAbortSec=5s\n' \
		>"$dropins/pkgtest.conf"

	if ! boot_start; then
		fail "boot: systemd-nspawn --boot starts systemd as PID 1"
		sed 's/^/    /' "$T/boot.log"
		return
	fi
	local state_rc
	for _ in $(seq 60); do
		system_state; state_rc=$?
		[ $state_rc -eq 2 ] || break
		sleep 0.5
	done
	if [ $state_rc -eq 2 ]; then
		fail "boot: systemd boots the root as PID 1 (systemd-nspawn --boot)"
		tail -30 "$T/boot.log" | sed 's/^/    /'
		return
	fi
	check_eq "boot: systemd boots the root to 'running' (systemd-nspawn --boot, no network)" 0 $state_rc

	# -- ready, scheduled and asked runs, delivery
	check_eq "boot: goniec.service is Type=notify and active: READY=1 arrived" "notify active running" \
		"$(unit_prop Type) $(unit_prop ActiveState) $(unit_prop SubState)"
	boot_case "boot: its STATUS= reaches systemd" grep -q '^3 sources, ' <<<"$(unit_prop StatusText)"
	boot_case "boot: a scheduled run files the documents and the forwarder delivers them" \
		wait_for 30 filed_and_delivered sched 2
	boot_case "boot: goniec fetch by a member of the goniec group (through the daemon)" as_anna goniec fetch asked
	boot_case "boot: ... its documents are filed and delivered" wait_for 20 filed_and_delivered asked 2

	# -- reload with a broken conf.d: refused, the running configuration stays
	local pid
	pid=$(unit_prop MainPID)
	printf 'sources:\n  - name: broken\n    type: folder\n    path: relative/path\n' \
		>"$R/etc/goniec/conf.d/broken.yaml"
	boot_case "boot: systemctl reload with a broken conf.d fails" fails in_boot systemctl reload goniec.service
	check_eq "boot: ... the service keeps running, same process" "active $pid" \
		"$(unit_prop ActiveState) $(unit_prop MainPID)"
	boot_case "boot: ... the journal names the file and line" wait_for 10 journal_has 'broken\.yaml:4:'
	scan sched 3
	boot_case "boot: ... the configuration in force stays: a scheduled run files a new scan" \
		wait_for 30 filed_and_delivered sched 3
	boot_case "boot: ... and no run failed on the broken conf.d" fails journal_has 'source sched: (crashed|failed)'
	in_boot systemctl kill --kill-who=main --signal=HUP goniec.service
	boot_case "boot: a SIGHUP with the broken conf.d is rejected by the daemon" \
		wait_for 10 journal_has 'reload rejected'
	rm "$R/etc/goniec/conf.d/broken.yaml"
	boot_case "boot: systemctl reload once conf.d is fixed" in_boot systemctl reload goniec.service
	boot_case "boot: ... the daemon says so" wait_for 10 journal_has 'configuration reloaded'

	# -- the journal keeps goniec's priorities (the <N> prefixes on its stderr)
	check_eq "boot: journal priority of 'started' is notice (5)" 5 "$(journal_priority 'started: ')"
	check_eq "boot: of a rejected reload, err (3)" 3 "$(journal_priority 'reload rejected')"
	check_eq "boot: of the forwarder's start, info (6)" 6 "$(journal_priority 'forwarder: started')"
	check_eq "boot: no message keeps a raw <N> prefix" 0 \
		"$(in_boot journalctl -u goniec.service -t goniec -o cat | grep -c '^<[0-7]>')"

	# -- systemctl stop during a run: nothing lost, the run finished at the next start
	as_anna goniec fetch slow >"$T/slow-fetch.log" 2>&1 &
	local client=$!
	wait_for 20 sh -c "! flock -n '$R/var/lib/goniec/sources/slow/run.lock' true"
	# Stopped as soon as its first document is written: the rest (each PDF goes through the
	# PDF text worker) are still to come. (Waiting for a sidecar waited for the first batch
	# of 256, and with the PDF reader as fast as it is now the whole run could end first.)
	wait_for 30 some_written slow
	local t0=$SECONDS
	boot_case "boot: systemctl stop during a run" in_boot systemctl stop goniec.service
	echo "    stopped in $((SECONDS - t0)) s"
	wait "$client"
	check_eq "boot: ... a clean stop (no kill by systemd)" "success inactive" \
		"$(unit_prop Result) $(unit_prop ActiveState)"
	local filed left
	filed=$(spooled slow)
	left=$(find "$R/srv/scans/slow" -maxdepth 1 -name 'slow-*.pdf' | wc -l)
	echo "    at the stop: $filed filed, $left still in the folder"
	boot_case "boot: ... the run was cut in the middle" test "$filed" -gt 0 -a "$left" -gt 0
	check_eq "boot: ... every document is either filed or still in the folder" "$SLOW_DOCS" $((filed + left))
	boot_case "boot: systemctl start" in_boot systemctl start goniec.service
	boot_case "boot: ... the interrupted run is repeated: all $SLOW_DOCS filed and delivered" \
		wait_for 120 filed_and_delivered slow "$SLOW_DOCS"
	check_eq "boot: ... each exactly once ($SLOW_DOCS sidecars, as many distinct documents)" "$SLOW_DOCS" \
		"$(find "$R/var/spool/goniec" -path '*/slow/*' -name 'slow-*.pdf' -exec sha256sum {} + | cut -d' ' -f1 | sort -u | wc -l)"
	check_eq "boot: ... and the folder is empty" 0 \
		"$(find "$R/srv/scans/slow" -maxdepth 1 -name 'slow-*.pdf' | wc -l)"

	# -- the watchdog: a hung master is killed and the service restarted
	check_eq "boot: no restart so far (the master pings the 6 s watchdog)" 0 "$(unit_prop NRestarts)"
	pid=$(unit_prop MainPID)
	in_boot sh -c "kill -STOP $pid"
	boot_case "boot: SIGSTOP to the master: the watchdog restarts the service" \
		wait_for 30 restarted_after "$pid"
	boot_case "boot: ... the journal says why" journal_has 'Watchdog timeout'
	scan sched 4
	boot_case "boot: ... and it files and delivers again" wait_for 30 filed_and_delivered sched 4

	local t1=$SECONDS
	boot_case "boot: the container halts cleanly (SIGTERM to nspawn), goniec with it" boot_stop
	echo "    halted in $((SECONDS - t1)) s"
}
