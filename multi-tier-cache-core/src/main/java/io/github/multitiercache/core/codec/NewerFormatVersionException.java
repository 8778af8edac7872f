package io.github.multitiercache.core.codec;

/**
 * Thrown by {@link EntryCodec#decode(byte[])} for an entry whose envelope format version is
 * newer than this release understands.
 *
 * <p>Contract: such an entry was most likely written by a newer release of the library during a
 * rolling upgrade, not damaged; callers should treat it as a miss and log it as "written by a newer
 * release" rather than as corruption, and should not delete it.
 */
public class NewerFormatVersionException extends CorruptEntryException {

    private static final long serialVersionUID = 1L;

    private final int formatVersion;
    private final int supportedVersion;

    /**
     * Creates an exception for the given versions.
     *
     * @param formatVersion the version found in the entry
     * @param supportedVersion the newest version this release reads
     */
    public NewerFormatVersionException(int formatVersion, int supportedVersion) {
        super("Cache entry has format version " + formatVersion + " but this release reads up to "
                + "version " + supportedVersion + "; it was written by a newer release");
        this.formatVersion = formatVersion;
        this.supportedVersion = supportedVersion;
    }

    /** Returns the format version found in the entry. */
    public int formatVersion() {
        return formatVersion;
    }

    /** Returns the newest format version this release reads. */
    public int supportedVersion() {
        return supportedVersion;
    }
}
