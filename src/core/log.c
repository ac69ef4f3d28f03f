/* Log levels over the console: one prefix per level so that test scripts
 * and people can grep for warnings and errors. */
#include <hv/console.h>
#include <hv/format.h>
#include <hv/log.h>

static enum log_level current_level = LOG_INFO;

static const char *const level_prefix[] = {
	[LOG_ERROR] = "error: ",
	[LOG_WARN] = "warning: ",
	[LOG_INFO] = "",
	[LOG_DEBUG] = "debug: ",
};

void log_set_level(enum log_level level) { current_level = level; }
enum log_level log_get_level(void) { return current_level; }

void log_msg(enum log_level level, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (level > current_level)
		return;
	va_start(ap, fmt);
	hv_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	kprintf("%s%s\n", level_prefix[level], buf);
}
