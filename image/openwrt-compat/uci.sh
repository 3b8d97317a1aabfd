# STAND-IN, not OpenWrt's file: /lib/config/uci.sh of a router comes from openwrt/openwrt's
# package/system/uci/files, which is not among the source archives the image is built from (the
# uci repository's own sh/uci.sh is an older library that redefines config_load and friends).
# /lib/functions.sh sources this file last; it needs only what rc.common, functions.sh and
# procd.sh call: uci_load (config_load) and uci_get, both on the real /sbin/uci. Written for
# backsoon.

# uci_load PACKAGE: the package's sections as functions.sh's config/option/list calls, which is
# the shell that `uci export` prints.
uci_load() {
	_uci_package=$1
	_uci_status=0
	_C=0
	if [ -z "$CONFIG_APPEND" ]; then
		for _uci_var in $CONFIG_LIST_STATE; do
			export ${NO_EXPORT:+-n} "CONFIG_${_uci_var}="
			export ${NO_EXPORT:+-n} "CONFIG_${_uci_var}_LENGTH="
		done
		export ${NO_EXPORT:+-n} CONFIG_LIST_STATE= CONFIG_SECTIONS= CONFIG_NUM_SECTIONS=0 CONFIG_SECTION=
	fi
	_uci_data=$(/sbin/uci ${UCI_CONFIG_DIR:+-c "$UCI_CONFIG_DIR"} ${LOAD_STATE:+-P /var/state} -S -n export "$_uci_package" 2>/dev/null) ||
		_uci_status=$?
	[ "$_uci_status" = 0 ] && [ -n "$_uci_data" ] && eval "$_uci_data"
	unset _uci_data
	# A config_cb with no arguments closes the last section, as on OpenWrt.
	${CONFIG_SECTION:+config_cb}
	return "$_uci_status"
}

# uci_get PACKAGE[.SECTION[.OPTION]] [SECTION [OPTION [DEFAULT]]]: the value, or DEFAULT.
uci_get() {
	/sbin/uci ${UCI_CONFIG_DIR:+-c "$UCI_CONFIG_DIR"} ${LOAD_STATE:+-P /var/state} -q get "$1${2:+.$2}${3:+.$3}" ||
		{ [ -n "$4" ] && echo "$4"; }
}
