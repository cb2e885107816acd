"""Industrial-park energy monitoring (issue 18): parks, enterprises, meters in a sub-metering
tree, readings partitioned by month, cleaning to 15-minute intervals, roll-ups, tce and CO₂,
anomalies. Tables: migrations/tables/energy.py."""
