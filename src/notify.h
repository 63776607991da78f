/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef COWTRACE_NOTIFY_H
#define COWTRACE_NOTIFY_H
/* Tell systemd tracing has begun (READY=1), where cowtrace runs as a Type=notify service. */
void service_ready(void);
#endif
