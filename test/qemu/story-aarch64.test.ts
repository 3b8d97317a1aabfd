// The story (story.ts) on the aarch64 board.
import { story } from './story';

story('aarch64');
