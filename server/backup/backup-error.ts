/** What a backup, restore or check cannot do, said in one line (the CLI prints it and exits with status 1). */
export class BackupError extends Error {}
