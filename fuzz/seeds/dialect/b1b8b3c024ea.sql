SELECT column_name, is_nullable FROM information_schema.columns WHERE table_schema = 'sluice' AND table_name = 'targets' ORDER BY ordinal_position
