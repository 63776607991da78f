// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* systemd's readiness protocol (Type=notify); a no-op outside a notify service. */
#include <systemd/sd-daemon.h>
#include "notify.h"

void service_ready(void)
{
	/* 1: NOTIFY_SOCKET leaves the environment, so a command cowtrace runs never speaks for it */
	sd_notify(1, "READY=1");
}
