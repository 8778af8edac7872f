package io.github.multitiercache.core.stampede;

import java.nio.charset.StandardCharsets;

import io.lettuce.core.cluster.SlotHash;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class LockKeysTests {

    @Test
    void aKeyWithoutHashTagGetsItsWholeSelfAsTheLocksTag() {
        assertThat(lock("mtc:users:42", true)).isEqualTo("{mtc:users:42}:lock");
        assertThat(lock("mtc:users:a{b", true)).isEqualTo("{mtc:users:a{b}:lock");
        assertSameSlot("mtc:users:42");
        assertSameSlot("mtc:users:a{b");
    }

    @Test
    void aKeyWithAHashTagKeepsItsTag() {
        assertThat(lock("mtc:users:{eu}:42", true)).isEqualTo("mtc:users:{eu}:42:lock");
        assertSameSlot("mtc:users:{eu}:42");
    }

    @Test
    void aKeyThatCannotShareItsSlotHasNoLockOnACluster() {
        assertThat(LockKeys.lockKey(bytes("mtc:users:a{}b"), true)).isNull();
        assertThat(LockKeys.lockKey(bytes("mtc:users:a}b"), true)).isNull();
        assertThat(lock("mtc:users:a}b", false)).isEqualTo("mtc:users:a}b:lock");
    }

    private static void assertSameSlot(String key) {
        byte[] lock = LockKeys.lockKey(bytes(key), true);
        assertThat(SlotHash.getSlot(lock)).isEqualTo(SlotHash.getSlot(bytes(key)));
    }

    private static String lock(String key, boolean cluster) {
        return new String(LockKeys.lockKey(bytes(key), cluster), StandardCharsets.UTF_8);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
