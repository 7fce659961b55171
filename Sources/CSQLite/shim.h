// The system SQLite (libsqlite3-dev), imported as the Swift module CSQLite.
#include <sqlite3.h>
