package com.acme.data.metrics;

import com.acme.platform.metrics.MetricsClient;

public class Exporter {
    private final MetricsClient client = MetricsClient.create();
}
