package campaigns_test

import (
	"testing"

	"github.com/switchboard-dev/switchboard/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }
