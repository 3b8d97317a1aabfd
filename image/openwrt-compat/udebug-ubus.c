/* See udebug.h: debug rings stay off; nothing here talks to ubus. Written for backsoon. */
#include "udebug.h"

void udebug_ubus_init(struct udebug_ubus *ctx, struct ubus_context *ubus, const char *service, udebug_ubus_config_cb cb)
{
	(void)service;
	ctx->ubus = ubus;
	ctx->cb = cb;
}

void udebug_ubus_ring_init(struct udebug *ud, struct udebug_ubus_ring *ring)
{
	(void)ud;
	(void)ring;
}

void udebug_ubus_apply_config(struct udebug *ud, struct udebug_ubus_ring *rings, int n, struct blob_attr *data, bool enabled)
{
	(void)ud;
	(void)rings;
	(void)n;
	(void)data;
	(void)enabled;
}

void udebug_ubus_free(struct udebug_ubus *ctx)
{
	ctx->ubus = NULL;
	ctx->cb = NULL;
}
