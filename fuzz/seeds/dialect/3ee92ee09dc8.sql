SELECT table_name FROM information_schema.tables WHERE table_schema = 'sluice' AND table_name IN ('roles', 'events', 'sources')
