package io.mvrefresh.cache;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ClusterKeysTest {

    @Test
    void shouldReadTheSlotsThisNodeMigratesOrImportsFromItsOwnLineOnly() {
        String nodes = """
                07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@31004,hostname4 slave e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 0 1426238317239 4 connected
                67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 127.0.0.1:30002@31002,hostname2 master - 0 1426238316232 2 connected 5461-10922 [93-<-292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f]
                e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:30001@31001,hostname1 myself,master - 0 0 1 connected 0-5460 [17->-67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1] [42-<-292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f]
                """;

        assertThat(ClusterKeys.movingSlots(nodes)).containsExactlyInAnyOrder(17, 42);
        assertThat(ClusterKeys.movingSlots(nodes.replace(" [17->-67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1]", "")
                .replace(" [42-<-292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f]", ""))).isEmpty();
    }

    @Test
    void shouldPutKeysWithTheSameHashTagInOneSlot() {
        assertThat(ClusterKeys.slotOf("cache:{brand-daily}:1")).isEqualTo(ClusterKeys.slotOf("brand-daily"))
                .isEqualTo(ClusterKeys.slotOf("tags:{brand-daily}"));
        // The value redis-cli CLUSTER KEYSLOT answers for "foo".
        assertThat(ClusterKeys.slotOf("foo")).isEqualTo(12182);
    }
}
