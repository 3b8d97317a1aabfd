/*
 * backsoon's stand-in for the ubus half of OpenWrt's udebug library (openwrt/udebug), which
 * procd and logd link against but which is not among the source archives the image is built
 * from. The ring-buffer half comes with libubox (<libubox/udebug.h>). Here debug rings are
 * never enabled over ubus: the calls below accept their arguments and do nothing, which is how
 * procd and logd run on a router where no udebugd is configured. Written for backsoon.
 */
#ifndef BACKSOON_UDEBUG_SHIM_H
#define BACKSOON_UDEBUG_SHIM_H

#include <stdbool.h>
#include <libubox/udebug.h>
#include <libubox/blob.h>

struct ubus_context;
struct udebug_ubus;

typedef void (*udebug_ubus_config_cb)(struct udebug_ubus *ctx, struct blob_attr *data, bool enabled);

struct udebug_ubus {
	struct ubus_context *ubus;
	udebug_ubus_config_cb cb;
};

struct udebug_ubus_ring {
	struct udebug_buf *buf;
	const struct udebug_buf_meta *meta;
	unsigned int default_entries;
	unsigned int default_size;
};

void udebug_ubus_init(struct udebug_ubus *ctx, struct ubus_context *ubus, const char *service, udebug_ubus_config_cb cb);
void udebug_ubus_ring_init(struct udebug *ud, struct udebug_ubus_ring *ring);
void udebug_ubus_apply_config(struct udebug *ud, struct udebug_ubus_ring *rings, int n, struct blob_attr *data, bool enabled);
void udebug_ubus_free(struct udebug_ubus *ctx);

#endif
