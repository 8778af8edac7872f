package io.github.multitiercache.cdc;

import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;

/** {@code /actuator/multitiercachecdc}: the change-data-capture consumer's state on this instance. */
@Endpoint(id = "multitiercachecdc")
public class CdcEndpoint {

    private final CdcConsumer consumer;

    CdcEndpoint(CdcConsumer consumer) {
        this.consumer = consumer;
    }

    /** @return the consumer's state */
    @ReadOperation
    public CdcStatus status() {
        return consumer.status();
    }
}
