CREATE UNLOGGED TABLE "request_rate_limits" (
	"bucket" text PRIMARY KEY NOT NULL,
	"full_at" timestamp with time zone NOT NULL
);
