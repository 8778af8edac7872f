package io.github.multitiercache.sample;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Settings of the {@link ProductRepository}, under {@code sample.repository}.
 *
 * @param delay how long every repository call takes, standing in for a slow database or
 *        downstream service, so that cache hits are easy to tell from loads
 */
@ConfigurationProperties("sample.repository")
public record RepositoryProperties(@DefaultValue("200ms") Duration delay) {
}
