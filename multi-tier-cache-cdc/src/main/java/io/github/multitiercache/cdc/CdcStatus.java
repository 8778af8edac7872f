package io.github.multitiercache.cdc;

import java.time.Instant;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * The consumer's state, as the {@code multitiercachecdc} endpoint shows it.
 * @param state STOPPED, STANDBY (another instance holds the lease, or Redis is unreachable), STARTING
 *        (lease held, engine connecting) or STREAMING
 * @param leaseHolder whether this instance holds the fleet-wide lease
 * @param leaseKey the Redis key of the lease
 * @param slotName the replication slot
 * @param lastLsn the LSN of the last change whose evictions were done, or null
 * @param lastCommitAt the commit time of that change, or null
 * @param lastLagMillis the time from that commit to its evictions, or -1
 * @param changesSeen changes read by this instance
 * @param keysEvicted key evictions made
 * @param tagsEvicted tag evictions made
 * @param cachesCleared whole-cache clears made (truncates)
 * @param mappingFailures rows whose mapping failed
 * @param engineStarts how often this instance started the engine
 * @param lastError the last engine error, or null
 * @param replicaIdentity the replica identity of each mapped table, as the holder checked it when it
 *        started consuming; empty on an instance that has not (a standby) or could not reach the database
 */
public record CdcStatus(String state, boolean leaseHolder, String leaseKey, String slotName, @Nullable Long lastLsn,
        @Nullable Instant lastCommitAt, long lastLagMillis, long changesSeen, long keysEvicted, long tagsEvicted,
        long cachesCleared, long mappingFailures, long engineStarts, @Nullable String lastError,
        List<TableIdentity> replicaIdentity) {

    /**
     * Whether PostgreSQL sends the old values of the columns a table's mapping reads.
     * @param table {@code schema.table}
     * @param replicaIdentity FULL, DEFAULT (the primary key), INDEX, NOTHING, or NOT FOUND
     * @param identityColumns the columns an old row carries without FULL (the key's or the index's)
     * @param columnsMissed the columns the mapping reads whose old values are not sent; empty when all are
     * @param fix the statement that makes the table send them, or null when nothing is missed
     */
    public record TableIdentity(String table, String replicaIdentity, List<String> identityColumns,
            List<String> columnsMissed, @Nullable String fix) {
    }
}
