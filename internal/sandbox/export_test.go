package sandbox

import (
	"context"
	"database/sql"
)

// Internals that the tests of package sandbox_test reach.
var (
	HashSecret         = hashSecret
	HashIdempotencyKey = hashIdempotencyKey
	NewSecret          = newSecret
)

// OpenSchema opens a database file with the schema of a sandbox that knew
// only the first n migrations, as an older sandbox left it.
func OpenSchema(path string, n int) (*sql.DB, error) {
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		return nil, err
	}
	if err := migrateTo(context.Background(), db, migrations[:n]); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}
