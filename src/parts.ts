// Every part that reads its own configuration sections, loaded once so each registers its reader
// with config (config/sections.ts) before anything validates a file. Import this first.
import './notify/outbound-config';
import './standin/config';
import './capture/trap-in-config';
