/**
 * Change-data-capture: PostgreSQL's change stream, read by Debezium's embedded engine, turned into
 * evictions of cache keys and tags, by one consumer for the whole fleet. See docs/cdc.md.
 */
@NullMarked
package io.github.multitiercache.cdc;

import org.jspecify.annotations.NullMarked;
