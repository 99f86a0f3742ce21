/* The agent log: lines like the original's Serilog template
 *   2026-06-01 12:34:56.789 +00:00 [INF] egs.service Message
 * to stderr and/or a file that rolls at 5 MiB, keeping 5 files
 * (agent.log, agent_001.log, ... as Serilog names them).
 * Never pass secrets (passwords, private keys) to these functions. */
#ifndef EGS_LOG_H
#define EGS_LOG_H

enum log_level { LOG_VRB, LOG_DBG, LOG_INF, LOG_WRN, LOG_ERR, LOG_FTL };

/* path: the log file (NULL: none); to_stderr: also write to stderr.
 * Opening the file may fail (read-only root): logging then goes to stderr
 * only and the function returns -1 with errno. */
int log_open(const char *path, int to_stderr, enum log_level min);
void log_set_level(enum log_level min);
void log_close(void);
void log_msg(enum log_level level, const char *source, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define LOG_ROLL_BYTES (5L * 1024 * 1024)
#define LOG_KEEP_FILES 5

#endif
