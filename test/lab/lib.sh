# shellcheck shell=bash
# The lab: one canonical network-namespace topology for lab tests, the fixture recorder
# (test/fixtures/record) and `make demo`. Source it, as root:   source test/lab/lib.sh
# Needs iproute2, nftables, ethtool and node.
#
#   bs-RUN-TAG-c   eth0 192.0.2.10 ──── c0 ─┐
#   bs-RUN-TAG-c1  eth0 192.0.2.11 ──── c1 ─┼─ br0 192.0.2.1  [bs-RUN-TAG-r]  s0 198.51.100.1 ──── eth0 198.51.100.10  bs-RUN-TAG-s
#   bs-RUN-TAG-cN  eth0 192.0.2.(10+N) ─ cN ─┘   ip_forward=1, no route but its two networks
#   clients: default via 192.0.2.1                                           server: default via 198.51.100.1
#
# The router's client side is a bridge, so one capture on br0 sees every client. MACs are 02:00
# followed by the interface's IPv4 address in hex (the server is 02:00:c6:33:64:0a), so captures
# read the same on every run. IPv6 is off in the lab (no router solicitations or MLD reports in
# captures); set LAB_IPV6=1 for a dual-stack lab: the same hosts also get 2001:db8:1::(10+N)/64
# (clients), 2001:db8:1::1 and 2001:db8:2::1 (router, forwarding IPv6), 2001:db8:2::10/64
# (server), documentation prefixes (RFC 3849), without duplicate address detection so they are
# usable at once. Hosts compute their own TCP checksums (veth offload off).
#
# Functions (TAG: lowercase letters/digits, dash-separated; ROLE: c r s cN):
#   lab_up TAG                 build client c, router r, server s (removing leftovers of TAG)
#   lab_add_client TAG N       add client cN, 192.0.2.(10+N)
#   lab_fast_neigh TAG [K=V..] shorten the router's ARP (and with LAB_IPV6=1, ND) timers, print what changed
#   lab_server_http TAG [PORT] "real server" page in the server namespace (default port 80)
#   lab_server_gone TAG [addr|link] / lab_server_back TAG
#   lab_server_silent TAG PORT / lab_server_answering TAG PORT
#   lab_exec TAG ROLE CMD...   lab_spawn TAG ROLE NAME CMD...   lab_stop TAG NAME [SIG]
#   lab_ns / lab_addr / lab_addr6 TAG ROLE    lab_log TAG NAME    lab_show TAG
#   lab_down TAG               lab_down_all (for: trap lab_down_all EXIT)
#   lab_run_claim              lab_sweep    lab_run_leftovers [RUN]    lab_remove_run [RUN]
#
# Nothing here touches the host's root namespace: every link is created inside the lab's
# namespaces and the lab has no route out. State (pids of started processes, their logs) lives
# in $LAB_STATE_ROOT/RUN/TAG.
#
# Runs: every lab belongs to a run, BS_RUN (1-8 lowercase letters and digits), owned by the
# process BS_RUN_OWNER. test/run sets both for its suites; a shell or test process that sources
# this without them becomes a run of its own (its pid in base 36). The run is part of every
# namespace name, so two runs never share a namespace, even with the same tags, and
# $LAB_STATE_ROOT/RUN/owner records the owner's pid and start time.
#
# Rule for crashes: whoever owns a lab calls lab_down on exit (trap lab_down_all EXIT; lab.ts
# does it on exit/SIGINT/SIGTERM/SIGHUP). A SIGKILLed owner cannot, so lab_up TAG first removes
# what a previous lab of the same run and TAG left behind, and lab_sweep (which lab_up runs too)
# removes everything of runs whose owner is gone. Hence: one live lab per run and TAG at a time.

LAB_STATE_ROOT=${LAB_STATE_ROOT:-/run/bs-lab}
LAB_NODE=${LAB_NODE:-node}
LAB_CLIENT_NET=192.0.2
LAB_ROUTER_CLIENT_IP=192.0.2.1
LAB_ROUTER_SERVER_IP=198.51.100.1
LAB_SERVER_IP=198.51.100.10
LAB_PREFIX=24
# With LAB_IPV6=1 (clients: $LAB_CLIENT_NET6::(10+N)).
LAB_CLIENT_NET6=2001:db8:1
LAB_ROUTER_CLIENT_IP6=2001:db8:1::1
LAB_ROUTER_SERVER_IP6=2001:db8:2::1
LAB_SERVER_IP6=2001:db8:2::10
LAB_PREFIX6=64
# Neighbour settings lab_fast_neigh applies to the router's br0 and s0 unless overridden.
# gc_stale_time is left alone: the kernel only garbage-collects above gc_thresh1 (128 entries),
# which a lab of a few hosts never reaches, so it changes nothing here.
LAB_FAST_NEIGH_DEFAULTS=(base_reachable_time_ms=2000 delay_first_probe_time=1 retrans_time_ms=500 ucast_solicit=3 mcast_solicit=3)

# Tags brought up by this shell, for lab_down_all; sourcing the file again keeps them.
declare -p LAB_TAGS_UP >/dev/null 2>&1 || LAB_TAGS_UP=()

_lab_err() { echo "lab: $*" >&2; }

_lab_base36() {
  local n=$1 digits=0123456789abcdefghijklmnopqrstuvwxyz out=
  while out=${digits:n%36:1}$out; n=$((n / 36)); [ "$n" -gt 0 ]; do :; done
  echo "$out"
}

# The run this shell belongs to: the one it was given, or its own.
if [ -z "${BS_RUN-}" ]; then
  BS_RUN=$(_lab_base36 $$)
  BS_RUN_OWNER=$$
fi
export BS_RUN
[ -n "${BS_RUN_OWNER-}" ] && export BS_RUN_OWNER

_lab_check_run() {
  if [[ ! ${1-} =~ ^[a-z0-9]{1,8}$ ]]; then
    _lab_err "run '${1-}' (BS_RUN): use 1-8 lowercase letters and digits; it becomes part of the namespace names bs-RUN-TAG-r"
    return 2
  fi
}

_lab_check_tag() {
  if [[ ! ${1-} =~ ^[a-z0-9]+(-[a-z0-9]+)*$ ]] || [ ${#1} -gt 20 ]; then
    _lab_err "tag '${1-}': use 1-20 characters of lowercase letters and digits, dash-separated (e.g. fx or fx-rec); it becomes the middle of the namespace names bs-TAG-r"
    return 2
  fi
}

_lab_check_role() {
  if [[ ! ${1-} =~ ^(c|r|s|c[1-9][0-9]{0,2})$ ]]; then
    _lab_err "role '${1-}': use c (client), r (router), s (server) or cN (client N, N >= 1)"
    return 2
  fi
}

_lab_need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    _lab_err "$1 needs root (it creates network namespaces); run it as root"
    return 1
  fi
}

_lab_state() { echo "$LAB_STATE_ROOT/$BS_RUN/$1"; }

# The namespace name of TAG's ROLE in this run.
_lab_name() { echo "bs-$BS_RUN-$1-$2"; }

# 02:00 + the IPv4 address in hex; prefix 02:01 for the router's bridge port facing that address.
_lab_mac() {
  local IFS=. ; local -a o=($1)
  printf '%s:%02x:%02x:%02x:%02x' "${2:-02:00}" "${o[0]}" "${o[1]}" "${o[2]}" "${o[3]}"
}

# Client number of a client role: c -> 0, c3 -> 3.
_lab_client_n() { local n=${1#c}; echo "${n:-0}"; }

_lab_client_ip() { echo "$LAB_CLIENT_NET.$((10 + $1))"; }
_lab_client_ip6() { echo "$LAB_CLIENT_NET6::$((10 + $1))"; }

_lab_ipv6() { [ "${LAB_IPV6:-0}" = 1 ]; }

# _lab_addr6_add NS DEV ADDR/PREFIX: an IPv6 address usable at once (no duplicate address detection).
_lab_addr6_add() { ip -n "$1" -6 addr add "$3" dev "$2" nodad; }

# lab_ns TAG ROLE: the namespace name of ROLE.
lab_ns() {
  _lab_check_tag "${1-}" && _lab_check_role "${2-}" || return
  _lab_name "$1" "$2"
}

# lab_addr6 TAG ROLE: the IPv6 lab address of ROLE (LAB_IPV6=1; the router: its client side).
lab_addr6() {
  _lab_check_tag "${1-}" && _lab_check_role "${2-}" || return
  case $2 in
    r) echo "$LAB_ROUTER_CLIENT_IP6" ;;
    s) echo "$LAB_SERVER_IP6" ;;
    *) _lab_client_ip6 "$(_lab_client_n "$2")" ;;
  esac
}

# lab_addr TAG ROLE: the lab address of ROLE (the router: its client-side address).
lab_addr() {
  _lab_check_tag "${1-}" && _lab_check_role "${2-}" || return
  case $2 in
    r) echo "$LAB_ROUTER_CLIENT_IP" ;;
    s) echo "$LAB_SERVER_IP" ;;
    *) _lab_client_ip "$(_lab_client_n "$2")" ;;
  esac
}

# The namespaces of TAG in this run that exist now, exactly bs-RUN-TAG-(r|s|c|cN): a tag never
# matches another tag's namespaces (bs-RUN-fx-r is not a namespace of tag fx-rec, nor the reverse).
_lab_namespaces() {
  local re="^bs-$BS_RUN-$1-(r|s|c|c[1-9][0-9]*)\$"
  ip netns list 2>/dev/null | awk '{print $1}' | grep -E "$re" || true
}

_lab_ns_exists() { ip netns list 2>/dev/null | awk '{print $1}' | grep -qxF "$1"; }

# A fresh namespace: loopback up, IPv6 off unless LAB_IPV6=1.
_lab_ns_add() {
  ip netns add "$1" || return
  ip -n "$1" link set lo up || return
  if [ "${LAB_IPV6:-0}" != 1 ]; then
    ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 >/dev/null || return
  fi
}

# Hosts compute their own TCP/UDP checksums, as behind a real NIC: a veth would otherwise pass
# packets with checksum offload pending, and captures would show partial (wrong) checksums.
_lab_tx_csum_off() {
  command -v ethtool >/dev/null || { _lab_err "ethtool is missing; install it (apt-get install ethtool)"; return 1; }
  ip netns exec "$1" ethtool -K "$2" tx off >/dev/null
}

_lab_attach_client() {
  local tag=$1 n=$2 role ns port ip
  if [ "$n" -eq 0 ]; then role=c; else role=c$n; fi
  local r
  r=$(_lab_name "$tag" r) ns=$(_lab_name "$tag" "$role") port=c$n ip=$(_lab_client_ip "$n")
  _lab_ns_add "$ns" || return
  ip -n "$r" link add "$port" address "$(_lab_mac "$ip" 02:01)" type veth \
    peer name eth0 address "$(_lab_mac "$ip")" netns "$ns" || return
  _lab_tx_csum_off "$r" "$port" && _lab_tx_csum_off "$ns" eth0 || return
  ip -n "$r" link set "$port" master br0 up || return
  ip -n "$ns" addr add "$ip/$LAB_PREFIX" dev eth0 || return
  ip -n "$ns" link set eth0 up || return
  ip -n "$ns" route add default via "$LAB_ROUTER_CLIENT_IP" || return
  if _lab_ipv6; then
    _lab_addr6_add "$ns" eth0 "$(_lab_client_ip6 "$n")/$LAB_PREFIX6" &&
      ip -n "$ns" -6 route add default via "$LAB_ROUTER_CLIENT_IP6" || return
  fi
}

# The router's and the server's IPv6 side of a dual-stack lab (LAB_IPV6=1).
_lab_ipv6_up() {
  local r s
  r=$(_lab_name "$1" r) s=$(_lab_name "$1" s)
  _lab_ipv6 || return 0
  ip netns exec "$r" sysctl -qw net.ipv6.conf.all.forwarding=1 >/dev/null &&
    _lab_addr6_add "$r" br0 "$LAB_ROUTER_CLIENT_IP6/$LAB_PREFIX6" &&
    _lab_addr6_add "$r" s0 "$LAB_ROUTER_SERVER_IP6/$LAB_PREFIX6" &&
    _lab_addr6_add "$s" eth0 "$LAB_SERVER_IP6/$LAB_PREFIX6" &&
    ip -n "$s" -6 route add default via "$LAB_ROUTER_SERVER_IP6"
}

# lab_up TAG: build the lab (client c, router r, server s). Removes leftovers of TAG in this
# run, and of runs whose owner is gone, first.
lab_up() {
  local tag=${1-}
  _lab_check_tag "$tag" && _lab_need_root lab_up && lab_run_claim || return
  lab_down "$tag" >/dev/null 2>&1
  local r s st
  r=$(_lab_name "$tag" r) s=$(_lab_name "$tag" s) st=$(_lab_state "$tag")
  if ! {
    mkdir -p "$st/pids" "$st/log" &&
    _lab_ns_add "$r" && _lab_ns_add "$s" &&
    # Before any link exists, so every router interface forwards.
    ip netns exec "$r" sysctl -qw net.ipv4.ip_forward=1 >/dev/null &&
    ip -n "$r" link add br0 address "$(_lab_mac "$LAB_ROUTER_CLIENT_IP")" type bridge forward_delay 0 stp_state 0 mcast_snooping 0 &&
    ip -n "$r" addr add "$LAB_ROUTER_CLIENT_IP/$LAB_PREFIX" dev br0 &&
    ip -n "$r" link set br0 up &&
    ip -n "$r" link add s0 address "$(_lab_mac "$LAB_ROUTER_SERVER_IP")" type veth \
      peer name eth0 address "$(_lab_mac "$LAB_SERVER_IP")" netns "$s" &&
    _lab_tx_csum_off "$r" s0 && _lab_tx_csum_off "$s" eth0 &&
    ip -n "$r" addr add "$LAB_ROUTER_SERVER_IP/$LAB_PREFIX" dev s0 &&
    ip -n "$r" link set s0 up &&
    ip -n "$s" addr add "$LAB_SERVER_IP/$LAB_PREFIX" dev eth0 &&
    ip -n "$s" link set eth0 up &&
    ip -n "$s" route add default via "$LAB_ROUTER_SERVER_IP" &&
    _lab_ipv6_up "$tag" &&
    _lab_attach_client "$tag" 0
  }; then
    _lab_err "lab_up $tag: building the lab failed (see the message above); removing what was built"
    lab_down "$tag" >/dev/null 2>&1
    return 1
  fi
  local t
  for t in "${LAB_TAGS_UP[@]}"; do [ "$t" = "$tag" ] && return 0; done
  LAB_TAGS_UP+=("$tag")
}

# lab_add_client TAG N: client bs-TAG-cN, 192.0.2.(10+N), on the router's bridge. Idempotent.
lab_add_client() {
  local tag=${1-} n=${2-}
  _lab_check_tag "$tag" || return
  if [[ ! $n =~ ^[1-9][0-9]*$ ]] || [ "$n" -gt 200 ]; then
    _lab_err "lab_add_client $tag '$n': N must be 1..200 (the client gets 192.0.2.(10+N))"
    return 2
  fi
  _lab_ns_exists "$(_lab_name "$tag" r)" || { _lab_err "lab_add_client $tag $n: no lab $tag; run lab_up $tag first"; return 1; }
  _lab_ns_exists "$(_lab_name "$tag" "c$n")" && return 0
  if ! _lab_attach_client "$tag" "$n"; then
    _lab_err "lab_add_client $tag $n: failed; removing the half-built client"
    ip -n "$(_lab_name "$tag" r)" link del "c$n" 2>/dev/null
    ip netns del "$(_lab_name "$tag" "c$n")" 2>/dev/null
    return 1
  fi
}

# lab_fast_neigh TAG [KEY=VALUE...]: shorten the router's neighbour (ARP) timers on br0 and s0,
# printing "NS net.ipv4.neigh.DEV.KEY OLD -> NEW" for each setting. KEY=VALUE pairs override
# LAB_FAST_NEIGH_DEFAULTS (keys as in /proc/sys/net/ipv4/neigh/DEV/).
lab_fast_neigh() {
  local tag=${1-}
  _lab_check_tag "$tag" || return
  shift
  local r
  r=$(_lab_name "$tag" r)
  _lab_ns_exists "$r" || { _lab_err "lab_fast_neigh $tag: no lab $tag; run lab_up $tag first"; return 1; }
  local -A want=()
  local kv key dev old
  for kv in "${LAB_FAST_NEIGH_DEFAULTS[@]}" "$@"; do
    if [[ ! $kv =~ ^[a-z_]+=[0-9]+$ ]]; then
      _lab_err "lab_fast_neigh $tag: '$kv' is not KEY=NUMBER (e.g. retrans_time_ms=500)"
      return 2
    fi
    want[${kv%%=*}]=${kv#*=}
  done
  local family families=(ipv4)
  _lab_ipv6 && families+=(ipv6)
  for family in "${families[@]}"; do
  for dev in br0 s0; do
    for key in base_reachable_time_ms delay_first_probe_time gc_stale_time retrans_time_ms ucast_solicit mcast_solicit app_solicit unres_qlen; do
      [ -n "${want[$key]+set}" ] || continue
      old=$(ip netns exec "$r" sysctl -n "net.$family.neigh.$dev.$key") || return
      ip netns exec "$r" sysctl -qw "net.$family.neigh.$dev.$key=${want[$key]}" >/dev/null || return
      echo "$r net.$family.neigh.$dev.$key $old -> ${want[$key]}"
    done
  done
  done
  for key in "${!want[@]}"; do
    case $key in base_reachable_time_ms|delay_first_probe_time|gc_stale_time|retrans_time_ms|ucast_solicit|mcast_solicit|app_solicit|unres_qlen) ;;
      *) _lab_err "lab_fast_neigh $tag: unknown key '$key'; known: base_reachable_time_ms delay_first_probe_time gc_stale_time retrans_time_ms ucast_solicit mcast_solicit app_solicit unres_qlen"; return 2 ;;
    esac
  done
}

# lab_exec TAG ROLE CMD...: run CMD inside ROLE's namespace.
lab_exec() {
  local ns
  ns=$(lab_ns "${1-}" "${2-}") || return
  shift 2
  ip netns exec "$ns" "$@"
}

_lab_pidfile() { echo "$(_lab_state "$1")/pids/$2.pid"; }

# lab_log TAG NAME: the log file of a process started by lab_spawn (its stdout and stderr).
lab_log() { echo "$(_lab_state "$1")/log/$2.log"; }

# lab_spawn TAG ROLE NAME CMD...: start CMD in the background inside ROLE's namespace, stdin
# from /dev/null, output to $(lab_log TAG NAME); track it for lab_stop/lab_down; print its pid.
lab_spawn() {
  local tag=${1-} role=${2-} name=${3-} ns log
  ns=$(lab_ns "$tag" "$role") || return
  [[ $name =~ ^[A-Za-z0-9._-]+$ ]] || { _lab_err "lab_spawn $tag $role '$name': NAME must be letters, digits, . _ -"; return 2; }
  _lab_ns_exists "$ns" || { _lab_err "lab_spawn: no namespace $ns; run lab_up $tag first"; return 1; }
  shift 3
  [ $# -gt 0 ] || { _lab_err "lab_spawn $tag $role $name: no command given"; return 2; }
  log=$(lab_log "$tag" "$name")
  mkdir -p "${log%/*}" "$(_lab_state "$tag")/pids" || return
  ip netns exec "$ns" "$@" </dev/null >"$log" 2>&1 &
  local pid=$!
  echo "$pid" >"$(_lab_pidfile "$tag" "$name")"
  echo "$pid"
}

# Alive and not a zombie: a zombie has exited, only its parent has not reaped it yet.
_lab_alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

# Signals PIDS, waits up to 3 s for them to exit, then SIGKILLs what is left.
_lab_terminate() {
  local sig=$1 pid i left
  shift
  [ $# -gt 0 ] || return 0
  kill -s "$sig" "$@" 2>/dev/null || true
  for ((i = 0; i < 30; i++)); do
    left=()
    for pid in "$@"; do _lab_alive "$pid" && left+=("$pid"); done
    [ ${#left[@]} -eq 0 ] && break
    sleep 0.1
  done
  if [ ${#left[@]} -gt 0 ]; then
    kill -s KILL "${left[@]}" 2>/dev/null || true
    for ((i = 0; i < 20; i++)); do
      left=()
      for pid in "$@"; do _lab_alive "$pid" && left+=("$pid"); done
      [ ${#left[@]} -eq 0 ] && break
      sleep 0.1
    done
  fi
  # Reap the ones that are children of this shell; for the others wait fails at once.
  for pid in "$@"; do wait "$pid" 2>/dev/null || true; done
  return 0
}

# Is PID running inside one of TAG's namespaces? Guards against killing a recycled pid.
_lab_pid_in_lab() {
  local ns
  ns=$(ip netns identify "$2" 2>/dev/null) || return 1
  [[ $ns =~ ^bs-$BS_RUN-$1-(r|s|c|c[1-9][0-9]*)$ ]]
}

# lab_stop TAG NAME [SIGNAL]: stop a process started by lab_spawn (default SIGTERM) and wait.
lab_stop() {
  local tag=${1-} name=${2-} sig=${3:-TERM} f pid
  _lab_check_tag "$tag" || return
  f=$(_lab_pidfile "$tag" "$name")
  [ -f "$f" ] || return 0
  pid=$(<"$f")
  if _lab_pid_in_lab "$tag" "$pid"; then _lab_terminate "$sig" "$pid"; fi
  rm -f "$f"
}

# lab_server_http TAG [PORT]: a tiny HTTP server in the server namespace answering every
# request with a "real server" page. Waits until it listens. Default port 80.
lab_server_http() {
  local tag=${1-} port=${2:-80} s
  _lab_check_tag "$tag" || return
  [[ $port =~ ^[0-9]+$ ]] && [ "$port" -ge 1 ] && [ "$port" -le 65535 ] ||
    { _lab_err "lab_server_http $tag '$port': PORT must be 1..65535"; return 2; }
  s=$(_lab_name "$tag" s)
  lab_stop "$tag" "http-$port"
  # shellcheck disable=SC2016 # JavaScript, not shell
  local js='
const http = require("http");
const port = Number(process.argv[1]);
http.createServer((req, res) => {
  const body = "<!doctype html><title>real server</title><h1>real server</h1><p>" +
    req.socket.localAddress + " port " + port + " answered " + req.method + " " + req.url + " from " + req.socket.remoteAddress + "</p>\n";
  res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "connection": "close" });
  res.end(body);
}).listen(port, process.argv[2], () => console.log("listening on port " + port));
'
  local pid i host=0.0.0.0
  # "::" takes IPv4 too (dual-stack socket).
  _lab_ipv6 && host=::
  pid=$(lab_spawn "$tag" s "http-$port" "$LAB_NODE" -e "$js" "$port" "$host") || return
  # Wait by asking the server's own socket table: no packet leaves, so no ARP cache is touched.
  for ((i = 0; i < 100; i++)); do
    if ip netns exec "$s" ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; then return 0; fi
    _lab_alive "$pid" || break
    sleep 0.05
  done
  _lab_err "lab_server_http $tag $port: the server did not start listening; its log $(lab_log "$tag" "http-$port"):"
  sed 's/^/  /' "$(lab_log "$tag" "http-$port")" >&2
  lab_stop "$tag" "http-$port" KILL
  return 1
}

# lab_server_gone TAG [addr|link]: the server disappears so the router's ARP for it fails.
#   addr (default): its address is removed, its link stays up: like a crashed host behind a
#     switch. Frames to its old MAC still arrive and are dropped; ARP requests go unanswered.
#   link: its interface goes down; the router's s0 loses carrier (and flushes its entries).
lab_server_gone() {
  local tag=${1-} mode=${2:-addr} s
  _lab_check_tag "$tag" || return
  s=$(_lab_name "$tag" s)
  _lab_ns_exists "$s" || { _lab_err "lab_server_gone $tag: no lab $tag; run lab_up $tag first"; return 1; }
  case $mode in
    addr) ip -n "$s" addr flush dev eth0 ;;
    link) ip -n "$s" link set eth0 down ;;
    *) _lab_err "lab_server_gone $tag '$mode': mode must be addr or link"; return 2 ;;
  esac
}

# lab_server_back TAG: undo lab_server_gone (either mode). The server announces nothing
# (no gratuitous ARP): as with a real host, only traffic towards it finds it again.
lab_server_back() {
  local tag=${1-} s
  _lab_check_tag "$tag" || return
  s=$(_lab_name "$tag" s)
  _lab_ns_exists "$s" || { _lab_err "lab_server_back $tag: no lab $tag; run lab_up $tag first"; return 1; }
  ip -n "$s" link set eth0 up &&
    ip -n "$s" addr replace "$LAB_SERVER_IP/$LAB_PREFIX" dev eth0 &&
    ip -n "$s" route replace default via "$LAB_ROUTER_SERVER_IP" || return
  _lab_ipv6 || return 0
  ip -n "$s" -6 addr replace "$LAB_SERVER_IP6/$LAB_PREFIX6" dev eth0 nodad &&
    ip -n "$s" -6 route replace default via "$LAB_ROUTER_SERVER_IP6"
}

# lab_server_silent TAG PORT: the server drops incoming TCP to PORT (nftables in its own
# namespace): SYNs go unanswered while ARP still works. lab_server_answering TAG PORT undoes it.
lab_server_silent() {
  local tag=${1-} port=${2-} s
  _lab_check_tag "$tag" || return
  [[ $port =~ ^[0-9]+$ ]] && [ "$port" -ge 1 ] && [ "$port" -le 65535 ] ||
    { _lab_err "lab_server_silent $tag '$port': PORT must be 1..65535"; return 2; }
  s=$(_lab_name "$tag" s)
  _lab_ns_exists "$s" || { _lab_err "lab_server_silent $tag: no lab $tag; run lab_up $tag first"; return 1; }
  if ! ip netns exec "$s" nft list table inet bs_lab >/dev/null 2>&1; then
    ip netns exec "$s" nft -f - <<'EOF' || return
table inet bs_lab {
  set silent_tcp { type inet_service; }
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport @silent_tcp drop
  }
}
EOF
  fi
  ip netns exec "$s" nft add element inet bs_lab silent_tcp "{ $port }"
}

lab_server_answering() {
  local tag=${1-} port=${2-} s
  _lab_check_tag "$tag" || return
  [[ $port =~ ^[0-9]+$ ]] || { _lab_err "lab_server_answering $tag '$port': PORT must be a number"; return 2; }
  s=$(_lab_name "$tag" s)
  _lab_ns_exists "$s" || return 0
  ip netns exec "$s" nft list table inet bs_lab >/dev/null 2>&1 || return 0
  if ip netns exec "$s" nft get element inet bs_lab silent_tcp "{ $port }" >/dev/null 2>&1; then
    ip netns exec "$s" nft delete element inet bs_lab silent_tcp "{ $port }"
  fi
}

# lab_show TAG: one line per interface of the lab's hosts that exist now:
#   ROLE NAMESPACE IFNAME ADDRESS/PREFIX MAC
lab_show() {
  local tag=${1-} ns role ip have
  _lab_check_tag "$tag" || return
  have=$(_lab_namespaces "$tag")
  # Router, server, then clients in number order.
  for role in r s c $(sed -n "s/^bs-$BS_RUN-$tag-c\([0-9][0-9]*\)\$/\1/p" <<<"$have" | sort -n | sed 's/^/c/'); do
    ns=$(_lab_name "$tag" "$role")
    grep -qxF "$ns" <<<"$have" || continue
    case $role in
      r) echo "r $ns br0 $LAB_ROUTER_CLIENT_IP/$LAB_PREFIX $(_lab_mac "$LAB_ROUTER_CLIENT_IP")"
         echo "r $ns s0 $LAB_ROUTER_SERVER_IP/$LAB_PREFIX $(_lab_mac "$LAB_ROUTER_SERVER_IP")" ;;
      s) echo "s $ns eth0 $LAB_SERVER_IP/$LAB_PREFIX $(_lab_mac "$LAB_SERVER_IP")" ;;
      *) ip=$(_lab_client_ip "$(_lab_client_n "$role")")
         echo "$role $ns eth0 $ip/$LAB_PREFIX $(_lab_mac "$ip")" ;;
    esac
  done
}

# lab_down TAG: stop every process of the lab (tracked ones first, so e.g. tcpdump flushes
# its file, then whatever else runs in its namespaces), delete the namespaces and the state.
# Idempotent; never fails, so it is safe in an EXIT trap under set -e.
lab_down() {
  # Cleanup must run to the end even where the caller set -e (an EXIT trap of a failing script).
  local errexit=0
  [[ $- == *e* ]] && errexit=1
  set +e
  _lab_down "$@"
  [ $errexit = 1 ] && set -e
  return 0
}


_lab_down() {
  local tag=${1-} st f pid
  _lab_check_tag "$tag" || return 0
  st=$(_lab_state "$tag")
  local -a pids=()
  for f in "$st"/pids/*.pid; do
    [ -f "$f" ] || continue
    pid=$(<"$f")
    _lab_pid_in_lab "$tag" "$pid" && pids+=("$pid")
  done
  _lab_terminate TERM "${pids[@]}"
  local -a spaces
  mapfile -t spaces < <(_lab_namespaces "$tag")
  _lab_remove_namespaces "lab_down $tag" "${spaces[@]}"
  rm -rf "$st"
  local -a keep=()
  for f in "${LAB_TAGS_UP[@]}"; do [ "$f" != "$tag" ] && keep+=("$f"); done
  LAB_TAGS_UP=("${keep[@]}")
  return 0
}

# _lab_remove_namespaces WHO NS...: end every process in the namespaces, then delete them.
_lab_remove_namespaces() {
  local who=$1 ns pid
  shift
  local -a pids=()
  for ns in "$@"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do
      # A shell that entered the lab to take it down must not kill itself.
      [ "$pid" != $$ ] && [ "$pid" != "$BASHPID" ] && pids+=("$pid")
    done
  done
  _lab_terminate TERM "${pids[@]}"
  for ns in "$@"; do ip netns del "$ns" 2>/dev/null || _lab_err "$who: could not delete namespace $ns"; done
}

# lab_down_all: lab_down for every tag this shell brought up. For `trap lab_down_all EXIT`.
lab_down_all() {
  local tag
  for tag in "${LAB_TAGS_UP[@]}"; do lab_down "$tag"; done
  return 0
}

# --- runs ---------------------------------------------------------------------------------------

# Start time of PID in clock ticks since boot (field 22 of /proc/PID/stat), or nothing: with the
# pid it tells the owner from a later process that got the same pid.
_lab_start_time() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  local -a f
  read -r -a f <<<"${stat##*) }"
  echo "${f[19]}"
}

# lab_run_claim: record this run's owner (BS_RUN_OWNER) in $LAB_STATE_ROOT/RUN/owner, after
# removing what runs with a dead owner left behind. A run given without an owner is recorded
# nowhere and never swept.
lab_run_claim() {
  _lab_check_run "$BS_RUN" || return
  lab_sweep
  [ -n "${BS_RUN_OWNER-}" ] || return 0
  local dir=$LAB_STATE_ROOT/$BS_RUN start
  [ -f "$dir/owner" ] && return 0
  start=$(_lab_start_time "$BS_RUN_OWNER") || { _lab_err "run $BS_RUN: its owner $BS_RUN_OWNER (BS_RUN_OWNER) is not running"; return 1; }
  mkdir -p "$dir" && echo "$BS_RUN_OWNER $start" >"$dir/owner"
}

# lab_sweep: remove the namespaces, processes and state of every run whose owner is gone.
lab_sweep() {
  local f run pid start
  for f in "$LAB_STATE_ROOT"/*/owner; do
    [ -f "$f" ] || continue
    run=${f%/owner} run=${run##*/}
    read -r pid start <"$f" || continue
    [ "$(_lab_start_time "$pid")" = "$start" ] && continue
    lab_remove_run "$run"
  done
  return 0
}

# lab_run_leftovers [RUN]: the namespaces of RUN (default this run) that exist now.
lab_run_leftovers() {
  local run=${1:-$BS_RUN}
  _lab_check_run "$run" || return
  ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^bs-$run-" || true
}

# lab_remove_run [RUN]: end every process in RUN's namespaces, delete them, and remove its state
# and whatever else it named after itself under /run (image/run-vm's bs-RUN-*-vm). Never fails.
lab_remove_run() {
  local run=${1:-$BS_RUN}
  _lab_check_run "$run" || return 0
  local -a spaces
  mapfile -t spaces < <(lab_run_leftovers "$run")
  _lab_remove_namespaces "lab_remove_run $run" "${spaces[@]}"
  rm -rf "${LAB_STATE_ROOT:?}/$run" /run/bs-"$run"-*
  return 0
}
