# STAND-IN, not OpenWrt code: the parts of /lib/functions.sh, /lib/functions/procd.sh and
# /etc/rc.common that board/openwrt/files/etc/init.d/backsoon uses, so its logic runs on a
# Debian host (there is no procd, ubus, uci or validate_data here). It records what the script
# asks procd for, one line per call (NAME<TAB>ARG<TAB>ARG...), into $FAKE_PROCD_LOG.
#
#   . fake-procd.sh; . /path/to/init-script; start|stop|reload
#
# Environment:
#   FAKE_PROCD_LOG      file the records are appended to (required)
#   UCI_CONFIG_DIR      directory of the UCI files (backsoon, network), as uci.sh honours it
#   FAKE_PROCD_RUNNING  1: procd_running says the service runs
#
# Modelled: config_load/config_get/config_foreach over a plain UCI file; uci_load_validate with
# the validate_data datatypes bool, range, rangelength, string, file, or("literal",...) and
# list(...); the procd_* calls the script makes; rc.common's start/stop/reload for USE_PROCD.
# Any other datatype stops the shell with exit 97, so a spec the stand-in cannot judge fails
# the test instead of passing unchecked.

: "${FAKE_PROCD_LOG:?FAKE_PROCD_LOG must name the file the stand-in records into}"
initscript=/etc/init.d/backsoon

fake_record() {
	{
		printf '%s' "$1"
		shift
		for fake_arg in "$@"; do printf '\t%s' "$fake_arg"; done
		printf '\n'
	} >>"$FAKE_PROCD_LOG"
}

# ---- /lib/functions.sh: UCI access ----------------------------------------------------------

fake_vars=''
fake_sections=''
fake_current=''

# Turns a UCI file into calls of fake_section/fake_option/fake_list, one per line.
fake_uci_to_shell() {
	awk '
		function unquote(s) {
			if (s ~ /^'\''.*'\''$/ || s ~ /^".*"$/) return substr(s, 2, length(s) - 2)
			return s
		}
		function shq(s) { gsub(/'\''/, "'\''\\'\'''\''", s); return "'\''" s "'\''" }
		/^[ \t]*(#|$)/ { next }
		{
			line = $0
			sub(/^[ \t]+/, "", line)
			kw = line; sub(/[ \t].*$/, "", kw)
			rest = substr(line, length(kw) + 1); sub(/^[ \t]+/, "", rest); sub(/[ \t]+$/, "", rest)
			if (kw == "config") {
				type = rest; sub(/[ \t].*$/, "", type)
				name = substr(rest, length(type) + 1); sub(/^[ \t]+/, "", name)
				name = unquote(name)
				if (name == "") name = sprintf("cfg%02d", ++anonymous)
				print "fake_section " shq(unquote(type)) " " shq(name)
			} else if (kw == "option" || kw == "list") {
				key = rest; sub(/[ \t].*$/, "", key)
				value = substr(rest, length(key) + 1); sub(/^[ \t]+/, "", value)
				print "fake_" kw " " shq(key) " " shq(unquote(value))
			}
		}' "$1"
}

fake_section() {
	fake_current=$2
	fake_sections="$fake_sections $2"
	eval "fake_type_$2=\$1"
	fake_vars="$fake_vars fake_type_$2"
}

fake_option() {
	eval "fake_opt_${fake_current}__$1=\$2"
	fake_vars="$fake_vars fake_opt_${fake_current}__$1"
}

fake_list() {
	eval "fake_opt_${fake_current}__$1=\"\${fake_opt_${fake_current}__$1:+\$fake_opt_${fake_current}__$1 }\$2\""
	fake_vars="$fake_vars fake_opt_${fake_current}__$1"
}

config_load() {
	for fake_var in $fake_vars; do unset "$fake_var"; done
	fake_vars='' fake_sections='' fake_current=''
	fake_file="${UCI_CONFIG_DIR:-/etc/config}/$1"
	[ -f "$fake_file" ] || return 1
	eval "$(fake_uci_to_shell "$fake_file")"
}

config_get() {
	eval "$1=\${fake_opt_$2__$3:-\$4}"
}

# Callbacks may call config_foreach again (functions.sh makes this safe with locals too).
config_foreach() {
	local fake_function="$1" fake_type="$2" fake_section_name fake_section_type
	shift 2
	for fake_section_name in $fake_sections; do
		eval "fake_section_type=\$fake_type_$fake_section_name"
		[ -z "$fake_type" ] || [ "$fake_section_type" = "$fake_type" ] || continue
		"$fake_function" "$fake_section_name" "$@"
	done
}

# ---- validate_data ---------------------------------------------------------------------------

# fake_check DATATYPE VALUE: 0 when VALUE fits, 1 when not; exit 97 for an unmodelled type.
fake_check() {
	case "$1" in
		bool)
			case "$2" in 0|1|yes|no|on|off|true|false|enabled|disabled) return 0 ;; esac
			return 1 ;;
		string) return 0 ;;
		file) [ -f "$2" ] ;;
		'range('*')')
			fake_bounds=${1#range(}; fake_bounds=${fake_bounds%)}
			case "$2" in ''|*[!0-9]*) return 1 ;; esac
			[ "$2" -ge "${fake_bounds%,*}" ] && [ "$2" -le "${fake_bounds#*,}" ] ;;
		'rangelength('*')')
			fake_bounds=${1#rangelength(}; fake_bounds=${fake_bounds%)}
			[ "${#2}" -ge "${fake_bounds%,*}" ] && [ "${#2}" -le "${fake_bounds#*,}" ] ;;
		'or('*')')
			fake_alternatives=${1#or(}; fake_alternatives=${fake_alternatives%)}
			case "$fake_alternatives" in *'('*) echo "fake-procd: or() with a datatype inside is not modelled: $1" >&2; exit 97 ;; esac
			fake_rest="$fake_alternatives,"
			while [ -n "$fake_rest" ]; do
				fake_word=${fake_rest%%,*}; fake_rest=${fake_rest#*,}
				fake_word=${fake_word#\"}; fake_word=${fake_word%\"}
				[ "$fake_word" = "$2" ] && return 0
			done
			return 1 ;;
		'list('*')')
			fake_inner=${1#list(}; fake_inner=${fake_inner%)}
			for fake_item in $2; do fake_check "$fake_inner" "$fake_item" || return 1; done
			return 0 ;;
		*)
			echo "fake-procd: datatype '$1' is not modelled by this stand-in" >&2
			exit 97 ;;
	esac
}

# uci_load_validate PACKAGE TYPE SECTION CALLBACK SPEC...: as procd.sh, the options become
# variables local to this call and CALLBACK gets SECTION and 0 (valid) or 1. With an empty
# SECTION (procd_add_validation) the specs are recorded instead, as procd would receive them.
uci_load_validate() {
	fake_package=$1 fake_stype=$2 fake_name=$3 fake_callback=$4
	shift 4
	if [ -z "$fake_name" ]; then
		fake_record validate "$fake_package" "$fake_stype" "$@"
		return 0
	fi
	for fake_spec in "$@"; do
		# shellcheck disable=SC3043  # procd.sh does the same; busybox ash has local
		eval "local ${fake_spec%%:*}"
	done
	config_load "$fake_package"
	fake_result=0
	for fake_spec in "$@"; do
		fake_option_name=${fake_spec%%:*}
		fake_rest=${fake_spec#*:}
		fake_datatype=${fake_rest%%:*}
		fake_default=''
		[ "$fake_rest" = "$fake_datatype" ] || fake_default=${fake_rest#*:}
		eval "fake_value=\${fake_opt_${fake_name}__$fake_option_name-\$fake_default}"
		if [ -n "$fake_value" ] && ! fake_check "$fake_datatype" "$fake_value"; then
			fake_record invalid "$fake_option_name" "$fake_value" "$fake_datatype"
			fake_result=1
		fi
		eval "$fake_option_name=\$fake_value"
	done
	[ -n "$fake_callback" ] || return "$fake_result"
	"$fake_callback" "$fake_name" "$fake_result"
}

# ---- /lib/functions/procd.sh -----------------------------------------------------------------

procd_open_service() { fake_record open_service "$@"; }
procd_close_service() { fake_record close_service "$@"; }
procd_open_instance() { fake_record open_instance "$@"; }
procd_close_instance() { fake_record close_instance "$@"; }
procd_set_param() { fake_record set_param "$@"; }
procd_append_param() { fake_record append_param "$@"; }
procd_add_reload_trigger() { fake_record reload_trigger "$@"; }
procd_add_reload_interface_trigger() { fake_record reload_interface_trigger "$@"; }
procd_add_interface_trigger() { fake_record interface_trigger "$@"; }
procd_add_config_trigger() { fake_record config_trigger "$@"; }
procd_send_signal() { fake_record send_signal "$@"; }
procd_kill() { fake_record kill "$@"; }
procd_running() { [ "${FAKE_PROCD_RUNNING:-0}" = 1 ]; }
procd_add_validation() {
	fake_record validation_begin
	"$@"
	fake_record validation_end
}
logger() { fake_record logger "$@"; }

# ---- /etc/rc.common with USE_PROCD -----------------------------------------------------------

start_service() { return 0; }
stop_service() { return 0; }
service_triggers() { return 0; }

start() {
	procd_open_service backsoon "$initscript"
	start_service "$@"
	fake_record start_service_returned "$?"
	service_triggers
	procd_close_service set
}

stop() {
	stop_service "$@"
	procd_kill backsoon "$1"
}

reload() {
	if type reload_service >/dev/null 2>&1; then
		reload_service "$@"
		fake_record reload_service_returned "$?"
	else
		start
	fi
}
